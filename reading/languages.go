package reading

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultLang is --ocr-lang's default: English, the data the installer puts in place.
const DefaultLang = "eng"

// checkLanguages refuses a language list ("eng", "eng+deu") naming a language whose trained data
// is not installed, with the package that installs it.
func checkLanguages(langs string, installed []string) error {
	if err := checkLanguageSyntax(langs); err != nil {
		return err
	}
	var missing []string
	for l := range strings.SplitSeq(langs, "+") {
		if !slices.Contains(installed, l) {
			missing = append(missing, l)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	have := "none"
	if len(installed) > 0 {
		have = strings.Join(installed, ", ")
	}
	return fmt.Errorf("--ocr-lang %s: no Tesseract data for %s (installed: %s): %s", langs, strings.Join(missing, ", "), have, installHint(strings.Join(missing, "+")))
}

// checkLanguageSyntax refuses a language list that is not Tesseract's names joined with +.
func checkLanguageSyntax(langs string) error {
	if strings.TrimSpace(langs) == "" {
		return fmt.Errorf("--ocr-lang is empty: name a language such as %s", DefaultLang)
	}
	for l := range strings.SplitSeq(langs, "+") {
		if !validLang(l) {
			return fmt.Errorf("--ocr-lang %q: %q is not a language code (Tesseract's names: eng, deu, fra, chi_sim, …, joined with +)", langs, l)
		}
	}
	return nil
}

// validLang reports whether l looks like a Tesseract language name: letters, digits and _.
func validLang(l string) bool {
	if l == "" || len(l) > 32 {
		return false
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// installHint names the packages that install langs' trained data: on Debian one package per
// language (tesseract-ocr-deu; chi_sim is tesseract-ocr-chi-sim), on macOS all of them in one.
func installHint(langs string) string {
	var debs []string
	for l := range strings.SplitSeq(langs, "+") {
		debs = append(debs, "tesseract-ocr-"+strings.ReplaceAll(strings.ToLower(l), "_", "-"))
	}
	mac := "brew install tesseract-lang"
	if langs == DefaultLang || langs == "osd" {
		mac = "brew install tesseract"
	}
	return fmt.Sprintf("install %s (Debian, Ubuntu: sudo apt-get install %s; macOS: %s)", strings.Join(debs, " "), strings.Join(debs, " "), mac)
}
