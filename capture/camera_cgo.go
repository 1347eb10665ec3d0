//go:build cgo && (linux || darwin)

package capture

import _ "github.com/pion/mediadevices/pkg/driver/camera" // V4L2 on Linux, AVFoundation on macOS

const noCameraHint = "none was detected; " + cameraHelp
