//go:build !cgo

package capture

import "image"

// turboEncoder is empty without cgo: every frame goes to image/jpeg.
type turboEncoder struct{}

// encodeJPEG appends img's JPEG encoding at quality to dst.
func (e *jpegEncoder) encodeJPEG(dst []byte, img image.Image, quality int) ([]byte, error) {
	return stdEncode(dst, img, quality)
}

// close has nothing to release.
func (e *jpegEncoder) close() {}

// jpegEncoderName says which encoder this build uses, for benchmarks and docs.
const jpegEncoderName = "image/jpeg"
