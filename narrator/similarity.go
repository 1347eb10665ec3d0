package narrator

import (
	"strings"
	"unicode"
)

// stopWords carry no content for comparing scenes: function words, and the words models use to
// frame a description ("appears", "visible", "image") rather than to say what is in it.
var stopWords = setOf(`a an the and or but nor of in on at to from by for with without into onto
upon over under near next beside behind between among around about above below across along
against toward towards through up down out off inside outside is are was were be been being am
has have had having do does did doing it its it's this that these those there here which who whom
whose what where when while as than then so such very quite rather really just also too still
again some any each every both either neither other another more most much many few several
various one own same can could may might must shall should will would i me my we us our you your
he him his she her they them their not no yes if because although though whether appear appears
appeared appearing seem seems seemed seeming look looks looked looking show shows showed shown
showing depict depicts depicted depicting feature features featured display displays displayed
see seen sees saw visible image picture photo photograph frame scene view camera setting
background foreground overall possibly likely perhaps probably seemingly apparently clearly
sit sits sat sitting seated stand stands stood standing lie lies lying located positioned
placed position kind sort type side part area space something someone's front lit wear wears
wearing worn use uses used using work works worked working`)

// synonyms maps words to one canonical word, so that paraphrases name the same things alike.
var synonyms = map[string]string{}

func init() {
	for canon, words := range map[string]string{
		"person":   "man men woman women person persons people guy guys lady ladies gentleman gentlemen boy boys girl girls someone somebody individual individuals adult adults figure figures human humans",
		"child":    "child children kid kids toddler toddlers baby babies",
		"sofa":     "sofa sofas couch couches settee",
		"computer": "laptop laptops computer computers notebook macbook pc screen screens monitor monitors",
		"phone":    "phone phones smartphone smartphones cellphone mobile",
		"cup":      "cup cups mug mugs",
		"room":     "room rooms office offices interior indoors",
		"dog":      "dog dogs puppy puppies",
		"cat":      "cat cats kitten kittens",
		"car":      "car cars vehicle vehicles automobile",
		"bright":   "bright brightly illuminated",
		"dark":     "dark dim dimly darkness",
		"empty":    "empty vacant unoccupied nobody",
		"fire":     "fire fires flame flames burning blaze",
		"holding":  "hold holds holding held carry carries carrying",
	} {
		for _, w := range strings.Fields(words) {
			synonyms[stem(w)] = canon
		}
	}
}

// salientWords name things whose appearing or disappearing is always news, whatever the rest of
// the description says.
var salientWords = contentWords(`person child dog cat bird car bicycle fire smoke knife gun weapon
blood ball`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// stem strips common English suffixes so that "sits", "sitting" and "sit" compare equal. It is
// deliberately light: both sides of every comparison go through it, so only consistency matters.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		w = w[:len(w)-3] + "y"
	case len(w) > 4 && strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		w = w[:len(w)-1]
	}
	for _, suf := range []string{"ing", "ed", "ly"} {
		if len(w) > len(suf)+3 && strings.HasSuffix(w, suf) {
			w = w[:len(w)-len(suf)]
			// "sitting" → "sitt" → "sit"
			if n := len(w); n > 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouls", rune(w[n-1])) {
				w = w[:n-1]
			}
			break
		}
	}
	if len(w) > 3 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	return w
}

// contentWords reduces text to the set of canonical content words it mentions.
func contentWords(text string) map[string]bool {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '\''
	})
	set := make(map[string]bool, len(words))
	for _, w := range words {
		w = strings.TrimSuffix(strings.Trim(w, "'"), "'s")
		if w == "" || stopWords[w] {
			continue
		}
		s := stem(w)
		if c, ok := synonyms[s]; ok {
			s = c
		}
		if stopWords[s] {
			continue
		}
		set[s] = true
	}
	return set
}

// similarity is the Jaccard index of two sets of content words: 1 for the same words, 0 for
// none in common. Two empty sets are the same.
func similarity(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	common := 0
	for w := range a {
		if b[w] {
			common++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

// sameSalient reports whether a and b mention the same salient things (people, animals, fire…).
func sameSalient(a, b map[string]bool, salient map[string]bool) bool {
	for w := range salient {
		if a[w] != b[w] {
			return false
		}
	}
	return true
}
