package web

import "encoding/json"

// What each page receives: its own bounded stream of events, after a snapshot.

func (h *hub) pushStatusLocked() { h.broadcastLocked(evStatus, h.st) }

// broadcastLocked pushes one event to every page, dropping a slow page's oldest.
func (h *hub) broadcastLocked(name string, v any) {
	if len(h.clients) == 0 {
		return
	}
	msg := sse(name, v)
	for c := range h.clients {
		select {
		case c.ch <- msg:
			continue
		default:
		}
		select { // full: the oldest goes
		case <-c.ch:
		default:
		}
		c.dropped++
		h.clientDropped.Add(1)
		select {
		case c.ch <- msg:
		default:
		}
	}
}

// sse formats one Server-Sent Event; JSON has no raw newlines, so one data line suffices.
func sse(name string, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		data = []byte(`{}`)
	}
	b := make([]byte, 0, len(name)+len(data)+16)
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// join registers a page: it returns the snapshot to send first and the stream that follows,
// with nothing lost or repeated between them; ok is false when too many pages are connected.
func (h *hub) join() (c *client, first []byte, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) >= h.cfg.MaxClients {
		return nil, nil, false
	}
	c = &client{ch: make(chan []byte, h.cfg.ClientQueue)}
	h.clients[c] = struct{}{}
	return c, sse(evSnapshot, h.snapshotLocked()), true
}

func (h *hub) leave(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
}

func (h *hub) snapshot() snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.snapshotLocked()
}

func (h *hub) snapshotLocked() snapshot {
	s := snapshot{
		Status: h.st, Captions: append([]caption{}, h.captions...), Suppressed: append([]suppressed{}, h.suppressed...),
		Descriptions: []description{}, HistoryMax: h.cfg.History, SuppressedMax: h.cfg.Suppressed,
	}
	s.Status.Sources = make(map[string]sourceState, len(h.st.Sources))
	for k, v := range h.st.Sources {
		s.Status.Sources[k] = v
	}
	for _, d := range h.descs.All() {
		s.Descriptions = append(s.Descriptions, d)
	}
	return s
}
