//go:build !darwin

package capture

// cameraHelp says what to check when a camera is missing or will not open.
const cameraHelp = "check that it is plugged in, that /dev/video* exists and that you may read it (the video group), and that no other program holds it"
