package reading

import (
	"fmt"
	"slices"
	"strings"

	"github.com/narrator-dev/narrator/internal/doctor"
)

// CheckLanguages refuses langs when a language's trained data is not installed, naming the
// package to install; it says nothing in builds without the reader (New says so).
func CheckLanguages(langs string) error {
	if !Built {
		return checkLanguageSyntax(langs)
	}
	return checkLanguages(langs, installedLanguages())
}

// Check is `narrator doctor`'s line for the text reader: built in, Tesseract's version and the
// languages installed, langs among them. The reader is optional, so a problem is a warning.
func Check(langs string) doctor.Check {
	c := doctor.Check{Name: "text reader"}
	if !Built {
		c.Status, c.Detail = doctor.Warn, "not built into this program (built with CGO_ENABLED=0): --read-text and --backend ocr cannot start"
		c.Fix = "install libtesseract-dev (scripts/install-deps) and build with CGO_ENABLED=1"
		return c
	}
	installed := installedLanguages()
	if err := checkLanguages(langs, installed); err != nil {
		var missing []string
		for l := range strings.SplitSeq(langs, "+") {
			if !slices.Contains(installed, l) {
				missing = append(missing, l)
			}
		}
		c.Status, c.Detail = doctor.Warn, err.Error()
		if len(missing) > 0 && checkLanguageSyntax(langs) == nil {
			c.Detail = fmt.Sprintf("Tesseract %s has no data for %s (installed: %s): --read-text and --backend ocr cannot start", Version(), strings.Join(missing, ", "), strings.Join(installed, ", "))
			c.Fix = installHint(strings.Join(missing, "+"))
		}
		return c
	}
	return checkOrientation(c, installed)
}

// checkOrientation is the doctor's word on the orientation data: without it text on its side
// or upside down is not read (the rest is).
func checkOrientation(c doctor.Check, installed []string) doctor.Check {
	c.Status, c.Detail = doctor.OK, "Tesseract "+Version()+", languages "+strings.Join(installed, ", ")
	if !slices.Contains(installed, "osd") {
		c.Status = doctor.Warn
		c.Detail += "; no orientation data (osd): text on its side or upside down is not read"
		c.Fix = installHint("osd")
	}
	return c
}
