# Runs the repband app at power-on (hold the mode button while powering on for safe mode).
import app

app.main()
