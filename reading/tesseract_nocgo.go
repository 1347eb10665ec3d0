//go:build !cgo

package reading

import (
	"context"
	"image"
)

// Built says whether this build has the text reader: it needs cgo and Tesseract's library.
const Built = false

// Version is the Tesseract library's version; empty in builds without the reader.
func Version() string { return "" }

// tesseract is absent from builds without cgo: New returns ErrNotBuilt before opening one.
type tesseract struct{}

func openTesseract(string, bool) (*tesseract, error) { return nil, ErrNotBuilt }

func installedLanguages() []string { return nil }

func (*tesseract) recognize(context.Context, *image.Gray) (page, error) { return page{}, ErrNotBuilt }

func (*tesseract) close() {}

func (*tesseract) orientation(*image.Gray) (int, float64, bool) { return 0, 0, false }
