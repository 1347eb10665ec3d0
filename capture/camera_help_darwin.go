package capture

// cameraHelp says what to check when a camera is missing or will not open.
const cameraHelp = "on macOS a terminal needs camera access: grant it to your terminal app in System Settings › Privacy & Security › Camera, then restart the terminal"
