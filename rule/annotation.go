package rule

import (
	"strings"
	"unicode/utf8"
)

// MaxAnnotationLength is the longest annotation PutEvaluations accepts, in characters.
const MaxAnnotationLength = 256

// ellipsis marks an annotation that was cut.
const ellipsis = "…"

// Truncate returns s cut to at most MaxAnnotationLength characters, as Cut does.
func Truncate(s string) string { return Cut(s, MaxAnnotationLength) }

// Cut returns s cut to at most limit (≥ 2) characters. A cut falls on a word boundary where one
// is near, never inside a character, and ends with an ellipsis.
func Cut(s string, limit int) string {
	// Counting first spares every text that fits (nearly all) a copy as runes.
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	cut := string([]rune(s)[:limit-1])
	// Prefer ending at the last space, unless that would throw away more than a fifth.
	if i := strings.LastIndexByte(cut, ' '); i >= len(cut)*4/5 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + ellipsis
}
