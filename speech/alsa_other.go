//go:build cgo && !linux

package speech

// quietALSA does nothing: only Linux has ALSA.
func quietALSA() {}
