//go:build !cgo || !(linux || darwin)

package capture

const noCameraHint = "this binary was built without cgo, so it has no camera driver; rebuild with CGO_ENABLED=1"
