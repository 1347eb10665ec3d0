package bus

import (
	"errors"
	"testing"
	"time"
)

func goodHeader() map[string][]string {
	return Frame{ID: "f1", Camera: "cam0", Seq: 3, CapturedAt: time.Unix(1, 0), Width: 4, Height: 3, Reason: FrameFirst}.header()
}

var jpegStart = []byte{0xFF, 0xD8, 0xFF, 0xE0}

func TestDecodeFrameRejectsBadMessages(t *testing.T) {
	cases := []struct {
		name string
		edit func(h map[string][]string)
		data []byte
	}{
		{"no id", func(h map[string][]string) { delete(h, hdrID) }, jpegStart},
		{"bad camera", func(h map[string][]string) { h[hdrCamera] = []string{"a.b"} }, jpegStart},
		{"not jpeg type", func(h map[string][]string) { h[hdrType] = []string{"image/png"} }, jpegStart},
		{"not jpeg bytes", func(map[string][]string) {}, []byte("PNG!")},
		{"empty payload", func(map[string][]string) {}, nil},
		{"bad time", func(h map[string][]string) { h[hdrCapturedAt] = []string{"yesterday"} }, jpegStart},
		{"bad seq", func(h map[string][]string) { h[hdrSeq] = []string{"-1"} }, jpegStart},
		{"negative width", func(h map[string][]string) { h[hdrWidth] = []string{"-4"} }, jpegStart},
		{"missing height", func(h map[string][]string) { delete(h, hdrHeight) }, jpegStart},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := goodHeader()
			c.edit(h)
			if _, err := DecodeFrame(h, c.data); !errors.Is(err, ErrBadFrame) {
				t.Fatalf("DecodeFrame = %v, want ErrBadFrame", err)
			}
		})
	}
	if _, err := DecodeFrame(goodHeader(), jpegStart); err != nil {
		t.Fatalf("DecodeFrame of a good frame: %v", err)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	h := goodHeader()
	f.Add(h[hdrID][0], h[hdrCamera][0], h[hdrSeq][0], h[hdrCapturedAt][0], "4", "3", "12", jpegStart)
	f.Add("x", "cam 0", "1e9", "", "-1", "a", "", []byte{0xFF})
	f.Fuzz(func(t *testing.T, id, camera, seq, at, w, hgt, dist string, data []byte) {
		hdr := map[string][]string{hdrID: {id}, hdrCamera: {camera}, hdrSeq: {seq}, hdrCapturedAt: {at},
			hdrWidth: {w}, hdrHeight: {hgt}, hdrDistance: {dist}, hdrType: {"image/jpeg"}}
		fr, err := DecodeFrame(hdr, data)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("error %v is not ErrBadFrame", err)
			}
			return
		}
		// What decodes must survive a round trip unchanged.
		again, err := DecodeFrame(fr.header(), fr.JPEG)
		if err != nil || again.ID != fr.ID || again.Seq != fr.Seq || again.Width != fr.Width || !again.CapturedAt.Equal(fr.CapturedAt) {
			t.Fatalf("round trip of %+v: %+v, %v", fr, again, err)
		}
	})
}
