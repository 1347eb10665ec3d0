package reading

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// readGroup is the queue group of the readers answering read requests: one answers each.
const readGroup = "narrator-reading"

// serveReads answers read requests (bus.SubjectRead) until ctx ends: each is acknowledged, then
// the last text the camera read is published in full as a description with the request's id.
func serveReads(ctx context.Context, conn *bus.Conn, r *Reader, counters *bus.Counters, log *slog.Logger) error {
	reqs, err := bus.SubscribeRequests[bus.DescribeRequest](conn, bus.SubjectRead, bus.QueueConfig{
		Name: "reading.requests", Size: 4, Policy: bus.DropOldest, Counters: counters, Group: readGroup,
	})
	if err != nil {
		return fmt.Errorf("reading: %w", err)
	}
	defer func() { _ = reqs.Close() }()
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("reading: %w", err)
	}
	for {
		req, err := reqs.Next(ctx)
		if err != nil {
			return nil
		}
		rep, d := answer(r, req, time.Now().UTC())
		if err := conn.Reply(req, rep); err != nil {
			log.Warn("read request not acknowledged", "err", err)
		}
		if rep.OK {
			if err := conn.PublishEvent(bus.DescriptionSubject(d.Camera), d); err != nil {
				log.Warn("reading not published", "err", err)
			}
		}
	}
}

// errNothingRead answers a read request before any frame was read.
var errNothingRead = errors.New("no frame has been read yet")

// answer is the acknowledgement of a read request and the description that answers it: the
// camera's last reading with text, in full, or NoText.
func answer(r *Reader, req bus.Request[bus.DescribeRequest], now time.Time) (bus.DescribeReply, bus.Description) {
	rep := bus.DescribeReply{ID: bus.NewID(), RequestID: req.Body.ID, Backend: bus.BackendOCR, At: now}
	if req.Err != nil {
		rep.Error = req.Err.Error()
		return rep, bus.Description{}
	}
	rd, ok := r.Last(req.Body.Camera, now)
	if !ok {
		camera, frame, seen := r.lastFrame(req.Body.Camera)
		if !seen {
			rep.Error = errNothingRead.Error()
			return rep, bus.Description{}
		}
		rd = Reading{Camera: camera, FrameID: frame, Full: NoText, CapturedAt: now, At: now}
	}
	rep.OK, rep.Camera, rep.FrameID = true, rd.Camera, rd.FrameID
	return rep, bus.Description{
		ID: bus.NewID(), Camera: rd.Camera, FrameID: rd.FrameID, Text: rd.Full,
		Backend: bus.BackendOCR, Model: r.Model(), IsModel: true, CapturedAt: rd.CapturedAt,
		InferenceStartedAt: now, FirstTokenAt: now, CompletedAt: now, RequestID: req.Body.ID,
		Metadata: rd.Metadata(),
	}
}
