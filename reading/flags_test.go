package reading

import (
	"flag"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/inference"
)

func TestFlagsValidate(t *testing.T) {
	f := Flags{On: true, Lang: DefaultLang}
	if err := f.Validate(inference.BackendOCR); err == nil || !strings.Contains(err.Error(), "--read-text") {
		t.Errorf("--read-text with --backend ocr: %v", err)
	}
	if err := (&Flags{Lang: "nonsense"}).Validate(inference.BackendHeuristic); err != nil {
		t.Errorf("no reading asked for: %v, want no check of the languages", err)
	}
	once := Flags{Once: true}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	once.Register(fs)
	if fs.Lookup("read-text") != nil || fs.Lookup("ocr-lang") == nil {
		t.Error("one image: --read-text registered, or --ocr-lang not")
	}
}
