package capture

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// jpegEncoder encodes frames: with libjpeg-turbo in cgo builds (YCbCr and grey frames, from
// their planes), with image/jpeg otherwise. It is not safe for concurrent use.
type jpegEncoder struct {
	turbo turboEncoder
}

// stdEncode appends img's JPEG encoding by image/jpeg to dst.
func stdEncode(dst []byte, img image.Image, quality int) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	if err := jpeg.Encode(buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode JPEG: %w", err)
	}
	return buf.Bytes(), nil
}
