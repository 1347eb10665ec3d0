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

// synonyms maps words to one canonical word, so that paraphrases name the same things alike:
// synonyms ("couch", "sofa"), and kinds that small models name either way ("puppy", "poodle" →
// dog; "lawn" → grass; "racing", "sprinting" → run). The table is small and curated: every
// entry is a word models use for the same thing in one scene; it is not a thesaurus (a table is
// not a desk, walking is not running).
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
		"dog":      "dog dogs puppy puppies pup pups hound poodle terrier labrador retriever spaniel",
		"cat":      "cat cats kitten kittens kitty",
		"bird":     "bird birds pigeon pigeons sparrow sparrows crow crows seagull seagulls",
		"car":      "car cars vehicle vehicles automobile sedan suv taxi",
		"bicycle":  "bicycle bicycles bike bikes",
		"grass":    "grass lawn lawns turf meadow",
		"road":     "road roads street streets",
		"bag":      "bag bags backpack backpacks handbag rucksack",
		"shirt":    "shirt shirts tshirt blouse",
		"hat":      "hat hats cap caps",
		"run":      "run runs running ran race races racing raced sprint sprints sprinting dash dashes dashing jog jogs jogging rush rushes rushing",
		"walk":     "walk walks walking walked stroll strolls strolling stride strides striding wander wanders wandering",
		"talk":     "talk talks talking talked speak speaks speaking chat chats chatting",
		"small":    "small little tiny",
		"large":    "large big huge",
		"bright":   "bright brightly illuminated",
		"dark":     "dark dim dimly darkness",
		"empty":    "empty vacant unoccupied nobody",
		"fire":     "fire fires flame flames burning blaze",
		"holding":  "hold holds holding held carry carries carrying",
		"grey":     "grey gray",
	} {
		for _, w := range strings.Fields(words) {
			synonyms[stem(lemma(w))] = canon
		}
	}
}

// irregular maps irregular inflections to their lemma; regular ones are stemmed.
var irregular = map[string]string{
	"ran": "run", "sat": "sit", "stood": "stand", "lay": "lie", "lain": "lie", "went": "go",
	"gone": "go", "held": "hold", "ate": "eat", "eaten": "eat", "drove": "drive", "driven": "drive",
	"rode": "ride", "ridden": "ride", "flew": "fly", "flown": "fly", "threw": "throw",
	"thrown": "throw", "fell": "fall", "fallen": "fall", "wore": "wear", "worn": "wear",
	"mice": "mouse", "feet": "foot", "teeth": "tooth", "geese": "goose", "leaves": "leaf",
	"knives": "knife", "shelves": "shelf", "wolves": "wolf", "came": "come", "swam": "swim",
	"slept": "sleep", "asleep": "sleep", "lying": "lie", "seated": "sit", "sang": "sing", "began": "begin", "caught": "catch", "brought": "bring",
	"took": "take", "taken": "take", "gave": "give", "given": "give",
}

// lemma is w's dictionary form when it is an irregular inflection, else w.
func lemma(w string) string {
	if l, ok := irregular[w]; ok {
		return l
	}
	return w
}

// numberWords are the canonical number words; digits are read as them. A count that differs
// ("two dogs", "three dogs") is news even when everything else is the same.
var numberWords = map[string]string{
	"2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven", "8": "eight",
	"9": "nine", "10": "ten", "11": "eleven", "12": "twelve", "20": "twenty",
	"two": "two", "three": "three", "four": "four", "five": "five", "six": "six", "seven": "seven",
	"eight": "eight", "nine": "nine", "ten": "ten", "eleven": "eleven", "twelve": "twelve",
	"twenty": "twenty", "dozen": "twelve", "pair": "two", "couple": "two",
}

// colourWords are the colour names; a colour that changed ("a red car", "a blue car") is news.
var colourWords = contentWordsOf(`red orange yellow green blue purple violet pink brown black white grey
beige tan teal cyan turquoise magenta maroon navy gold golden silver`)

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
		least := len(suf) + 3
		if suf == "ing" {
			least = 5 // "waving" → "wav", as "waves" → "wave" → "wav"; "lying", "thing" stay
		}
		if len(w) > least && strings.HasSuffix(w, suf) {
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

// gist is what a description says, reduced for comparing with another: its content words and
// the actions it names.
type gist struct {
	words map[string]bool // canonical content words
	acts  map[string]bool // canonical action verbs, posture verbs ("sits") included
}

// gistOf reduces text to its gist: stop words dropped, irregular forms lemmatised, the rest
// stemmed, synonyms and kinds mapped to one word, digits read as number words.
func gistOf(text string) gist {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '\''
	})
	g := gist{words: make(map[string]bool, len(words))}
	for _, w := range words {
		w = strings.TrimSuffix(strings.Trim(w, "'"), "'s")
		if w == "" {
			continue
		}
		if n, ok := numberWords[w]; ok {
			g.words[n] = true
			continue
		}
		s := stem(lemma(w))
		if c, ok := synonyms[s]; ok {
			s = c
		}
		if actionWords[s] {
			if g.acts == nil {
				g.acts = map[string]bool{}
			}
			g.acts[s] = true
		}
		if stopWords[w] || stopWords[s] {
			continue
		}
		g.words[s] = true
	}
	return g
}

// contentWords is the canonical content words of text.
func contentWords(text string) map[string]bool { return gistOf(text).words }

// actionWords are the verbs whose change is news ("a dog is sitting by the door", "a dog is
// barking at the door"), in canonical form.
var actionWords = contentWordsOf(`sit stand lie sleep run walk jump fall climb crawl dance cry
laugh smile wave bark eat drink cook wash clean open close type read write draw paint play chase
feed shake throw catch kick push pull ride drive park enter leave fight hug kiss talk sing swim
fly rise burn pour cut`)

// contentWordsOf canonicalises a list of words without dropping stop words.
func contentWordsOf(list string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(list) {
		s := stem(lemma(w))
		if c, ok := synonyms[s]; ok {
			s = c
		}
		m[s] = true
	}
	return m
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

// sameNews reports whether a and b, similar enough to be paraphrases, carry the same news:
//   - the same salient things (people, animals, fire…);
//   - the same count: "two dogs" and "three dogs" differ, and so do "a dog" and "two dogs" (a
//     count on one side only);
//   - the same lighting, when both say: "dark" and "bright" differ;
//   - no colour and no action that changed, when both name some: they differ when neither's
//     include the other's ("a red car", "a blue car"; "a dog sits by the door", "a dog barks at
//     the door"), not when one adds to the other ("a red car", "a red and white car"; "a man
//     sits at a desk", "a man sits at a desk, typing").
func sameNews(a, b gist, salient map[string]bool) bool {
	return sameSalient(a.words, b.words, salient) && !differ(a.words, b.words, isNumber, oneSided) &&
		!differ(a.words, b.words, lightWords, bothSides) && !differ(a.words, b.words, colourWords, neitherIncludes) &&
		!differ(a.acts, b.acts, actionWords, neitherIncludes)
}

// lightWords say how lit the scene is; "dark" and "bright" are opposite news.
var lightWords = setOf("dark bright")

var isNumber = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range numberWords {
		m[n] = true
	}
	return m
}()

// How differ compares the words of a class.
const (
	oneSided        = iota // the sets differ, even when one is empty
	bothSides              // both hold some, and the sets differ
	neitherIncludes        // both hold some, and neither set includes the other
)

// differ reports whether the words of class in a and b differ, by rule.
func differ(a, b, class map[string]bool, rule int) bool {
	var inA, inB, common int
	for w := range a {
		if class[w] {
			inA++
			if b[w] {
				common++
			}
		}
	}
	for w := range b {
		if class[w] {
			inB++
		}
	}
	switch {
	case rule == oneSided:
		return common < inA || common < inB
	case inA == 0 || inB == 0:
		return false
	case rule == neitherIncludes:
		return common < inA && common < inB
	}
	return common < inA || common < inB
}
