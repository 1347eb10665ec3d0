package capture

import (
	"errors"
	"image"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// hungDriver is a test double for a camera whose reads never return until unblocked.
type hungDriver struct{ closed chan struct{} }

func (d *hungDriver) Open() error              { return nil }
func (d *hungDriver) Close() error             { close(d.closed); return nil }
func (d *hungDriver) Properties() []prop.Media { return nil }
func (d *hungDriver) ID() string               { return "hung" }
func (d *hungDriver) Info() driver.Info {
	return driver.Info{Label: "hung camera", DeviceType: driver.Camera}
}
func (d *hungDriver) Status() driver.State                         { return driver.StateOpened }
func (d *hungDriver) VideoRecord(prop.Media) (video.Reader, error) { return nil, errors.New("unused") }

func TestHungCameraFailsAndCloses(t *testing.T) {
	d := &hungDriver{closed: make(chan struct{})}
	unblock := make(chan struct{})
	src := &driverSource{d: d, desc: "hung camera", results: make(chan driverRead, 1), done: make(chan struct{}), stallTimeout: 100 * time.Millisecond,
		r: video.ReaderFunc(func() (image.Image, func(), error) {
			<-unblock
			return nil, nil, io.EOF
		})}
	_, _, err := src.Read()
	if err == nil || !strings.Contains(err.Error(), "no frame for 100ms") || !strings.Contains(err.Error(), cameraHelp) {
		t.Fatalf("Read of a hung camera = %v, want a stall error with the help", err)
	}
	closed := make(chan struct{})
	go func() { src.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a hung read")
	}
	select {
	case <-d.closed:
	default:
		t.Error("driver not closed")
	}
	if _, _, err := src.Read(); !errors.Is(err, io.EOF) {
		t.Errorf("Read after Close = %v, want io.EOF", err)
	}
	close(unblock) // let the read in flight end
}
