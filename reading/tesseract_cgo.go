//go:build cgo

package reading

/*
#cgo pkg-config: tesseract
#include <stdlib.h>
#include <tesseract/capi.h>

// cancelled is the cancel function Tesseract polls while it recognises: it reads the flag Go
// sets when the caller's context ends.
static bool narrator_cancelled(void *flag, int words) {
	return __atomic_load_n((int *)flag, __ATOMIC_RELAXED) != 0;
}

static void narrator_set_cancel(ETEXT_DESC *m, int *flag) {
	TessMonitorSetCancelFunc(m, narrator_cancelled);
	TessMonitorSetCancelThis(m, flag);
}

static void narrator_cancel(int *flag) { __atomic_store_n(flag, 1, __ATOMIC_RELAXED); }

#if defined(__linux__)
// Debian's Tesseract runs its LSTM on OpenMP threads, one per core. The reader reads beside the
// scene describer and must not take every core from it: one thread, set on the thread that
// recognises (OpenMP's setting is per thread). Weak, so a Tesseract built without OpenMP links.
extern void omp_set_num_threads(int) __attribute__((weak));
#endif

// narrator_detect_orientation is TessBaseAPIDetectOrientationScript where Tesseract has its
// legacy engine (orientation detection needs it), false where it was built without.
static int narrator_detect_orientation(TessBaseAPI *api, int *deg, float *conf, const char **script, float *sconf) {
#ifdef DISABLED_LEGACY_ENGINE
	return 0;
#else
	return TessBaseAPIDetectOrientationScript(api, deg, conf, script, sconf);
#endif
}

static int narrator_recognize(TessBaseAPI *api, ETEXT_DESC *monitor) {
#if defined(__linux__)
	if (omp_set_num_threads) omp_set_num_threads(1);
#endif
	return TessBaseAPIRecognize(api, monitor);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"unsafe"
)

// Built says whether this build has the text reader: it needs cgo and Tesseract's library.
const Built = true

// tesseract is one Tesseract API handle, initialised once with its languages and kept: loading a
// language's model is most of what the `tesseract` command spends on a frame (see
// docs/reading.md). Only one goroutine uses it at a time (mu).
type tesseract struct {
	mu     sync.Mutex
	api    *C.TessBaseAPI
	langs  string
	osd    *C.TessBaseAPI // orientation detection with the osd data; nil without it
	closed bool
}

// Version is the Tesseract library's version, e.g. "5.3.0".
func Version() string { return C.GoString(C.TessVersion()) }

// openTesseract initialises Tesseract for langs ("eng", "eng+deu"). A language whose trained
// data is missing is refused with the package that installs it. With osd (the caller checked
// that its data is installed) a second handle is loaded with Tesseract's orientation data, for
// orientation (see orientation).
func openTesseract(langs string, osd bool) (*tesseract, error) {
	if err := checkLanguages(langs, installedLanguages()); err != nil {
		return nil, err
	}
	api := C.TessBaseAPICreate()
	cl := C.CString(langs)
	defer C.free(unsafe.Pointer(cl))
	if C.TessBaseAPIInit3(api, nil, cl) != 0 {
		C.TessBaseAPIDelete(api)
		return nil, fmt.Errorf("tesseract: cannot load the languages %q: %s", langs, installHint(langs))
	}
	t := &tesseract{api: api, langs: langs}
	for name, value := range map[string]string{
		// Interword spaces as they appear, so digits and words stay apart as written.
		"preserve_interword_spaces": "1",
		// No debug files or messages on the terminal.
		"debug_file": "/dev/null",
		// Leptonica's Otsu threshold per tile instead of one for the page: a camera frame is
		// lit unevenly, and one threshold loses the words in its darker part (the evaluation set
		// reads a third fewer characters wrong with it, docs/reading.md).
		"thresholding_method": "1",
	} {
		t.setVariable(name, value)
	}
	C.TessBaseAPISetPageSegMode(api, C.PSM_AUTO)
	if osd {
		t.osd = openOSD()
	}
	return t, nil
}

func (t *tesseract) setVariable(name, value string) {
	cn, cv := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cv))
	C.TessBaseAPISetVariable(t.api, cn, cv)
}

// installedLanguages lists the languages Tesseract finds trained data for.
func installedLanguages() []string {
	api := C.TessBaseAPICreate()
	defer C.TessBaseAPIDelete(api)
	// Any language loaded lists what the data directory holds: "osd" alone loads quickly, and
	// where it is not installed, English.
	loaded := false
	for _, l := range []string{"osd", DefaultLang} {
		cl := C.CString(l)
		loaded = C.TessBaseAPIInit3(api, nil, cl) == 0
		C.free(unsafe.Pointer(cl))
		if loaded {
			break
		}
	}
	if !loaded {
		return nil
	}
	defer C.TessBaseAPIEnd(api)
	arr := C.TessBaseAPIGetAvailableLanguagesAsVector(api)
	if arr == nil {
		return nil
	}
	defer C.TessDeleteTextArray(arr)
	var langs []string
	for p := arr; *p != nil; p = (**C.char)(unsafe.Add(unsafe.Pointer(p), unsafe.Sizeof(*p))) {
		langs = append(langs, C.GoString(*p))
	}
	return langs
}

// recognize reads the words of a grey image, in Tesseract's reading order. It returns early
// with ctx's error when ctx ends.
func (t *tesseract) recognize(ctx context.Context, g *image.Gray) (page, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return page{}, errors.New("tesseract: closed")
	}
	b := g.Bounds()
	if b.Dx() < 8 || b.Dy() < 8 {
		return page{}, nil
	}
	pix := C.CBytes(g.Pix[g.PixOffset(b.Min.X, b.Min.Y):])
	defer C.free(pix)
	C.TessBaseAPISetImage(t.api, (*C.uchar)(pix), C.int(b.Dx()), C.int(b.Dy()), 1, C.int(g.Stride))
	C.TessBaseAPISetSourceResolution(t.api, 300)
	defer C.TessBaseAPIClear(t.api)

	flag := (*C.int)(C.calloc(1, C.size_t(unsafe.Sizeof(C.int(0)))))
	defer C.free(unsafe.Pointer(flag))
	monitor := C.TessMonitorCreate()
	defer C.TessMonitorDelete(monitor)
	C.narrator_set_cancel(monitor, flag)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
			C.narrator_cancel(flag)
		case <-done:
		}
	}()
	rc := C.narrator_recognize(t.api, monitor)
	close(done)
	<-stopped
	if err := ctx.Err(); err != nil {
		return page{}, err
	}
	if rc != 0 {
		return page{}, errors.New("tesseract: recognition failed")
	}
	return t.words(b), nil
}

// words walks the result word by word, noting where lines begin.
func (t *tesseract) words(b image.Rectangle) page {
	var p page
	ri := C.TessBaseAPIGetIterator(t.api)
	if ri == nil {
		return p
	}
	defer C.TessResultIteratorDelete(ri)
	pi := C.TessResultIteratorGetPageIterator(ri)
	var orientation C.TessOrientation
	var direction C.TessWritingDirection
	var order C.TessTextlineOrder
	var deskew C.float
	C.TessPageIteratorOrientation(pi, &orientation, &direction, &order, &deskew)
	p.deskew = float64(deskew)
	line, block := -1, -1
	for {
		if C.TessPageIteratorIsAtBeginningOf(pi, C.RIL_BLOCK) != 0 {
			block++
		}
		if C.TessPageIteratorIsAtBeginningOf(pi, C.RIL_TEXTLINE) != 0 {
			line++
		}
		ct := C.TessResultIteratorGetUTF8Text(ri, C.RIL_WORD)
		if ct != nil {
			text := strings.TrimSpace(C.GoString(ct))
			C.TessDeleteText(ct)
			var l, tp, r, bt C.int
			C.TessPageIteratorBoundingBox(pi, C.RIL_WORD, &l, &tp, &r, &bt)
			if text != "" {
				p.words = append(p.words, Word{
					Text: text, Conf: float64(C.TessResultIteratorConfidence(ri, C.RIL_WORD)),
					Box:  image.Rect(int(l), int(tp), int(r), int(bt)).Add(b.Min),
					Line: max(line, 0), Block: max(block, 0),
				})
			}
		}
		if C.TessResultIteratorNext(ri, C.RIL_WORD) == 0 {
			break
		}
	}
	return p
}

// close releases the handle; later calls fail.
func (t *tesseract) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.closed = true
	C.TessBaseAPIEnd(t.api)
	C.TessBaseAPIDelete(t.api)
	if t.osd != nil {
		C.TessBaseAPIEnd(t.osd)
		C.TessBaseAPIDelete(t.osd)
	}
}

// osdMinCharacters is the least number of letters orientation detection tries, as Tesseract's
// min_characters_to_try: it gives up on an image with fewer than half of them. Tesseract's
// default, 50, is a page of text; a sign has a few words ("EXIT ONLY" is 8 letters).
const osdMinCharacters = "10"

// openOSD loads Tesseract's orientation data ("osd", the legacy engine: orientation detection
// has no LSTM model) in a handle of its own, as Tesseract's command does for --psm 0
// (tesseract-ocr/tesseract 5.3.0, src/tesseract.cpp, ParseArgs: PSM_OSD_ONLY reads with the
// language "osd"). Running it inside the layout analysis instead (PSM_AUTO_OSD) was tried: it
// loads the osd data in a Tesseract of its own whose min_characters_to_try cannot be set
// (src/api/baseapi.cpp, TessBaseAPI::FindLines), so a sign is always "too few characters".
// nil when it cannot be loaded.
func openOSD() *C.TessBaseAPI {
	api := C.TessBaseAPICreate()
	cl := C.CString("osd")
	defer C.free(unsafe.Pointer(cl))
	if C.TessBaseAPIInit2(api, nil, cl, C.OEM_TESSERACT_ONLY) != 0 {
		C.TessBaseAPIDelete(api)
		return nil
	}
	for name, value := range map[string]string{"debug_file": "/dev/null", "min_characters_to_try": osdMinCharacters, "thresholding_method": "1"} {
		cn, cv := C.CString(name), C.CString(value)
		C.TessBaseAPISetVariable(api, cn, cv)
		C.free(unsafe.Pointer(cn))
		C.free(unsafe.Pointer(cv))
	}
	C.TessBaseAPISetPageSegMode(api, C.PSM_OSD_ONLY)
	return api
}

// orientation is how far the text in g is turned, clockwise, as Tesseract's orientation
// detection finds it: 0, 90, 180 or 270 degrees, and its confidence (Tesseract: "15.0 is
// reasonably confident"; include/tesseract/baseapi.h, DetectOrientationScript). ok is false
// without the osd data or when too few letters were found to tell.
func (t *tesseract) orientation(g *image.Gray) (deg int, conf float64, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := g.Bounds()
	if t.closed || t.osd == nil || b.Dx() < 8 || b.Dy() < 8 {
		return 0, 0, false
	}
	pix := C.CBytes(g.Pix[g.PixOffset(b.Min.X, b.Min.Y):])
	defer C.free(pix)
	C.TessBaseAPISetImage(t.osd, (*C.uchar)(pix), C.int(b.Dx()), C.int(b.Dy()), 1, C.int(g.Stride))
	C.TessBaseAPISetSourceResolution(t.osd, 300)
	defer C.TessBaseAPIClear(t.osd)
	var odeg C.int
	var oconf, sconf C.float
	var script *C.char
	if C.narrator_detect_orientation(t.osd, &odeg, &oconf, &script, &sconf) == 0 {
		return 0, 0, false
	}
	return int(odeg), float64(oconf), true
}
