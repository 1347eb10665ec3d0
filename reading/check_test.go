package reading

import (
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/internal/doctor"
)

// TestCheckOrientation: the doctor warns when the orientation data is missing, naming its
// package, and is content when it is there.
func TestCheckOrientation(t *testing.T) {
	c := checkOrientation(doctor.Check{Name: "text reader"}, []string{"eng"})
	if c.Status != doctor.Warn || !strings.Contains(c.Detail, "upside down") || !strings.Contains(c.Fix, "tesseract-ocr-osd") {
		t.Errorf("without osd: %+v", c)
	}
	c = checkOrientation(doctor.Check{Name: "text reader"}, []string{"eng", "osd"})
	if c.Status != doctor.OK || c.Fix != "" {
		t.Errorf("with osd: %+v", c)
	}
}
