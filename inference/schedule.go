package inference

import "github.com/narrator-dev/narrator/bus"

// DefaultMaxCameras is Config.MaxCameras's default: how many cameras may have a frame waiting
// at once. It only bounds memory against a bus flooded with camera names.
const DefaultMaxCameras = 1024

// scheduler holds the frames waiting for the describer: one per camera, the newest (a newer
// frame of a camera replaces its waiting one, never another camera's), served oldest waiting
// change first: the camera whose slot has been filled longest goes next, however often its
// frame was replaced meanwhile, so a camera that changes all the time cannot starve one that
// changed once. It is not safe for concurrent use.
type scheduler struct {
	slots map[string]slot
	tick  uint64 // orders the slots by when they were filled
	max   int
}

// slot is a camera's waiting frame and when the camera started waiting.
type slot struct {
	f     bus.Frame
	since uint64
}

func newScheduler(maxCameras int) *scheduler {
	if maxCameras <= 0 {
		maxCameras = DefaultMaxCameras
	}
	return &scheduler{slots: map[string]slot{}, max: maxCameras}
}

// put makes f its camera's waiting frame. It returns the frame f replaced, if any, and
// accepted false when f was refused because max other cameras are waiting.
func (s *scheduler) put(f bus.Frame) (replaced *bus.Frame, accepted bool) {
	if old, ok := s.slots[f.Camera]; ok {
		s.slots[f.Camera] = slot{f: f, since: old.since}
		return &old.f, true
	}
	if len(s.slots) >= s.max {
		return nil, false
	}
	s.tick++
	s.slots[f.Camera] = slot{f: f, since: s.tick}
	return nil, true
}

// next removes and returns the frame of the camera that has waited longest.
func (s *scheduler) next() (bus.Frame, bool) {
	var best string
	var bestSince uint64
	found := false
	for camera, sl := range s.slots {
		if !found || sl.since < bestSince {
			best, bestSince, found = camera, sl.since, true
		}
	}
	if !found {
		return bus.Frame{}, false
	}
	return s.take(best)
}

// take removes and returns camera's waiting frame.
func (s *scheduler) take(camera string) (bus.Frame, bool) {
	sl, ok := s.slots[camera]
	if !ok {
		return bus.Frame{}, false
	}
	delete(s.slots, camera)
	return sl.f, true
}

// len is how many cameras have a frame waiting.
func (s *scheduler) len() int { return len(s.slots) }
