package reading

import (
	"strings"
	"testing"
)

var languageCases = []struct {
	langs   string
	wantErr string // "" when accepted
}{
	{"eng", ""},
	{"eng+osd", ""},
	{"deu", "install tesseract-ocr-deu"},
	{"eng+chi_sim", "tesseract-ocr-chi-sim"},
	{"", "--ocr-lang is empty"},
	{"eng+", "is not a language code"},
	{"../eng", "is not a language code"},
	{"eng deu", "is not a language code"},
}

func TestCheckLanguages(t *testing.T) {
	for _, c := range languageCases {
		err := checkLanguages(c.langs, []string{"eng", "osd"})
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("checkLanguages(%q) = %v, want nil", c.langs, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("checkLanguages(%q) = %v, want an error with %q", c.langs, err, c.wantErr)
		}
	}
}

func FuzzCheckLanguages(f *testing.F) {
	for _, c := range languageCases {
		f.Add(c.langs)
	}
	f.Fuzz(func(t *testing.T, langs string) {
		if err := checkLanguages(langs, []string{"eng"}); err == nil && langs != "eng" && strings.Trim(langs, "eng+") != "" {
			t.Errorf("checkLanguages(%q) accepted a language that is not installed", langs)
		}
	})
}
