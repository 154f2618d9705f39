package rule

import (
	"strings"
	"unicode/utf8"
)

// MaxAnnotationLength is the longest annotation PutEvaluations accepts, in characters.
const MaxAnnotationLength = 256

// ellipsis marks an annotation that was cut.
const ellipsis = "…"

// Truncate returns s cut to at most MaxAnnotationLength characters. A cut falls on a word
// boundary where one is near, never inside a character, and ends with an ellipsis.
func Truncate(s string) string {
	// Counting first spares every annotation that fits (nearly all) a copy as runes.
	if utf8.RuneCountInString(s) <= MaxAnnotationLength {
		return s
	}
	cut := string([]rune(s)[:MaxAnnotationLength-1])
	// Prefer ending at the last space, unless that would throw away more than a fifth.
	if i := strings.LastIndexByte(cut, ' '); i >= len(cut)*4/5 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + ellipsis
}
