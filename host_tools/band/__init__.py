"""The band from the laptop: finding and holding its port (link), installing firmware (flash),
and the commands that talk to it: sync, config, record, status."""
