package openai

import (
	"fmt"
	"strings"
)

// choice is the model chosen on a server and why, in words for the user.
type choice struct {
	Model    string
	Why      string
	Thinking bool // the server says the model thinks (send the switch that turns it off)
}

// choose picks the model to describe with: the one named (--model always wins), else by the
// server's own capability flag, else by name. It fails with what to do when the server has
// nothing that reads images.
func choose(s *server, named string) (choice, error) {
	if named != "" {
		c := choice{Model: named, Why: "named by --model"}
		for _, m := range s.Models {
			if m.ID == named {
				c.Thinking = m.Thinking
			}
		}
		return c, nil
	}
	switch s.Kind {
	case KindMLXVLM:
		if s.Loaded != "" {
			return choice{Model: s.Loaded, Why: "the model it has loaded (GET /health); asking for another would make it unload this one"}, nil
		}
	case KindLlama:
		if len(s.Models) == 0 {
			return choice{}, fmt.Errorf("llama-server at %s lists no model", s.URL)
		}
		id := s.Models[0].ID
		switch {
		case s.Vision == nil:
			return choice{Model: id, Why: "the one model it serves (this llama-server does not say whether it reads images)"}, nil
		case !*s.Vision:
			return choice{}, fmt.Errorf("llama-server at %s serves %s without vision (GET /props: modalities.vision is false): start llama-server with --mmproj PATH (the model's multimodal projector, e.g. -hf ggml-org/gemma-3-4b-it-GGUF fetches both)", s.URL, id)
		}
		return choice{Model: id, Why: "it reads images (GET /props: modalities.vision)"}, nil
	case KindVLLM:
		for _, m := range s.Models {
			if m.Parent == "" {
				return choice{Model: m.ID, Why: "the model vLLM serves"}, nil
			}
		}
	case KindLMStudio:
		var vlm []model
		for _, m := range s.Models {
			if m.Vision != nil && *m.Vision {
				vlm = append(vlm, m)
			}
		}
		for _, m := range vlm {
			if m.Loaded {
				return choice{Model: m.ID, Why: `a vision model (type "vlm") it has loaded`}, nil
			}
		}
		if len(vlm) > 0 {
			return choice{Model: vlm[0].ID, Why: `a vision model (type "vlm"); LM Studio loads it on the first request`}, nil
		}
		return choice{}, fmt.Errorf("LM Studio at %s has no vision model (none of %s has type \"vlm\"): download one, e.g. `lms get qwen2.5-vl-3b-instruct`, or pass --model", s.URL, ids(s.Models))
	case KindOllama:
		if c, ok, err := chooseByCapability(s); ok || err != nil {
			return c, err
		}
	}
	return chooseByName(s)
}

// chooseByCapability picks Ollama's first model whose capabilities include vision (its list
// is newest first). ok is false when Ollama did not say what its models can do.
func chooseByCapability(s *server) (choice, bool, error) {
	var known bool
	var text []string
	for _, m := range s.Models {
		if m.Vision == nil {
			continue
		}
		known = true
		if *m.Vision {
			why := "its capabilities include vision"
			if len(text) > 0 {
				why += " (" + strings.Join(text, ", ") + " read only text)"
			}
			return choice{Model: m.ID, Why: why, Thinking: m.Thinking}, true, nil
		}
		text = append(text, m.ID)
	}
	if !known {
		return choice{}, false, nil
	}
	return choice{}, true, fmt.Errorf("none of Ollama's models reads images (%s): pull one, e.g. `ollama pull qwen2.5vl:3b`, or pass --model", ids(s.Models))
}

// chooseByName is the last resort: the first model whose id looks like a vision model.
func chooseByName(s *server) (choice, error) {
	for _, m := range s.Models {
		if IsVisionModel(m.ID) {
			return choice{Model: m.ID, Why: "its name looks like a vision model (the server does not say which models read images)"}, nil
		}
	}
	if len(s.Models) == 0 {
		return choice{}, fmt.Errorf("%s at %s lists no models: load one, or pass --model", s.Kind, s.URL)
	}
	return choice{}, fmt.Errorf("%s at %s answered, but none of its models (%s) looks like a vision model: load one or pass --model", s.Kind, s.URL, ids(s.Models))
}

func ids(models []model) string {
	var out []string
	for _, m := range models {
		out = append(out, m.ID)
	}
	if len(out) > 8 {
		out = append(out[:8], fmt.Sprintf("and %d more", len(out)-8))
	}
	return strings.Join(out, ", ")
}
