//go:build cgo

package capture

/*
#cgo pkg-config: libturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

// compressPlanes encodes three (or, for grey, one) planes; it builds the pointer arrays
// TurboJPEG wants on the C side, so no Go memory holds Go pointers across the call.
static int compressPlanes(tjhandle h, const unsigned char *y, const unsigned char *cb,
		const unsigned char *cr, int width, int height, int ystride, int cstride, int subsamp,
		unsigned char *out, unsigned long *outSize, int quality) {
	const unsigned char *planes[3] = {y, cb, cr};
	int strides[3] = {ystride, cstride, cstride};
	return tjCompressFromYUVPlanes(h, planes, width, strides, height, subsamp, &out, outSize,
		quality, TJFLAG_NOREALLOC | TJFLAG_FASTDCT);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

// turboEncoder encodes YCbCr and grey frames with libjpeg-turbo straight from their planes,
// about five times faster than image/jpeg. Other images go to the standard encoder. It keeps one
// TurboJPEG handle and one output buffer and is not safe for concurrent use.
type turboEncoder struct {
	handle C.tjhandle
	out    *C.uchar
	outCap C.ulong
}

// encodeJPEG appends img's JPEG encoding at quality to dst.
func (e *jpegEncoder) encodeJPEG(dst []byte, img image.Image, quality int) ([]byte, error) {
	var y, cb, cr []byte
	var ystride, cstride, subsamp int
	r := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio420:
			subsamp = C.TJSAMP_420
		case image.YCbCrSubsampleRatio422:
			subsamp = C.TJSAMP_422
		case image.YCbCrSubsampleRatio444:
			subsamp = C.TJSAMP_444
		default:
			return stdEncode(dst, img, quality)
		}
		co := m.COffset(r.Min.X, r.Min.Y)
		y, cb, cr = m.Y[m.YOffset(r.Min.X, r.Min.Y):], m.Cb[co:], m.Cr[co:]
		ystride, cstride = m.YStride, m.CStride
	case *image.Gray:
		subsamp = C.TJSAMP_GRAY
		y, ystride = m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride
	default:
		return stdEncode(dst, img, quality)
	}
	t := &e.turbo
	if t.handle == nil {
		if t.handle = C.tjInitCompress(); t.handle == nil {
			return nil, errors.New("encode JPEG: libjpeg-turbo could not start")
		}
	}
	need := C.tjBufSize(C.int(r.Dx()), C.int(r.Dy()), C.int(subsamp))
	if need == C.ulong(^C.ulong(0)) {
		return nil, fmt.Errorf("encode JPEG: %dx%d is too large", r.Dx(), r.Dy())
	}
	if t.outCap < need {
		C.tjFree(t.out)
		if t.out = C.tjAlloc(C.int(need)); t.out == nil {
			t.outCap = 0
			return nil, errors.New("encode JPEG: out of memory")
		}
		t.outCap = need
	}
	size := t.outCap
	var cbp, crp *C.uchar
	if cb != nil {
		cbp, crp = (*C.uchar)(unsafe.Pointer(&cb[0])), (*C.uchar)(unsafe.Pointer(&cr[0]))
	}
	if C.compressPlanes(t.handle, (*C.uchar)(unsafe.Pointer(&y[0])), cbp, crp, C.int(r.Dx()), C.int(r.Dy()),
		C.int(ystride), C.int(cstride), C.int(subsamp), t.out, &size, C.int(quality)) != 0 {
		return nil, fmt.Errorf("encode JPEG: %s", C.GoString(C.tjGetErrorStr2(t.handle)))
	}
	return append(dst, unsafe.Slice((*byte)(unsafe.Pointer(t.out)), int(size))...), nil
}

// close releases the TurboJPEG handle and buffer.
func (e *jpegEncoder) close() {
	t := &e.turbo
	if t.handle != nil {
		C.tjDestroy(t.handle)
		t.handle = nil
	}
	C.tjFree(t.out)
	t.out, t.outCap = nil, 0
}

// jpegEncoderName says which encoder this build uses, for benchmarks and docs.
const jpegEncoderName = "libjpeg-turbo"
