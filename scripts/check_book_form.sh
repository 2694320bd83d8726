#!/usr/bin/env bash
# Checks the textbook form of every page of the book, from the Markdown sources (no build
# needed; check_book.sh calls it after building). Usage:
#   bash scripts/check_book_form.sh           check every page
#   bash scripts/check_book_form.sh --stats   also print prose and listing line counts per page
#
# What it checks, per page of book/src:
# 1. Figures have visible, numbered captions. A figure is
#      <figure id="fig-taylor-1"><img src="..." alt="..."><figcaption>Figure 1.1: ...</figcaption></figure>
#    (mdBook shows the text of ![alt](src) only as alt text, so Markdown images fail). Every
#    <img> must sit in a <figure> whose <figcaption> starts with "Figure N.M:", N the chapter's
#    number in the sidebar (its position among the numbered chapters of SUMMARY.md).
# 2. Listings in the reading path are short. The reading path is everything outside
#    <details> ... </details> (expandable boxes: the notes' text, solutions, long code kept
#    for reference). A fenced code block there may show at most 25 lines after its
#    {{#include file:anchor}} lines are expanded (ANCHOR marker lines do not count), and it
#    sits in <figure class="listing" id="listing-N-M"> ... <figcaption>Listing N-M: ...</figcaption>
#    </figure> (blank lines around the fence), numbered like the Rust Book's listings; this
#    caption is required of Rust listings, not of shell commands or text.
# 3. Exercise answers are checked. Every <details><summary>Solution</summary> ... </details>
#    ends with "Checked by `test_name`", and test_name is a #[test] function in tests/.
#    A numbered chapter has a "## Summary" section and 4 to 8 exercises with such solutions.
# 4. Test names stay out of the prose: a `name` of a test may appear only in the claims
#    ledger (the section "## Claims ledger") and in a solution's "Checked by" line.
#
# Pages still to be rewritten to this form are listed in PENDING: their problems are
# printed as warnings and do not fail the check. Remove a page from the list once it
# follows the form.
set -euo pipefail
cd "$(dirname "$0")/.."

PENDING=" "
MAX_LISTING=25

stats=0
[ "${1:-}" = "--stats" ] && stats=1

# Names of the test functions: the first `fn name` after each #[test].
tests_file=$(mktemp)
trap 'rm -f "$tests_file"' EXIT
awk '/#\[test\]/ { t = 1; next }
     t && match($0, /fn [A-Za-z0-9_]+/) { print substr($0, RSTART + 3, RLENGTH - 3); t = 0 }' \
    tests/*.rs tests/*/*.rs 2>/dev/null | sort -u > "$tests_file"

fail=0
[ "$stats" = 1 ] && printf '%-14s %6s %9s %8s %8s %8s\n' page prose listings lines longest figures
for md in book/src/*.md; do
    page=$(basename "${md%.md}")
    [ "$page" = SUMMARY ] && continue
    # the chapter's number in the sidebar: the position of its "- [...](page.md)" in SUMMARY.md
    chap=$(grep -E '^- \[[^]]*\]\([^)]*\)' book/src/SUMMARY.md | grep -nF "($page.md)" | cut -d: -f1 || true)
    out=$(awk -v tests="$tests_file" -v max="$MAX_LISTING" -v stats="$stats" -v page="$page" -v chap="$chap" '
        BEGIN { while ((getline t < tests) > 0) is_test[t] = 1 }
        function problem(msg) { print "E " FILENAME ":" FNR ": " msg }
        # Lines an include adds to a listing: the anchor region (or the whole file, or a
        # line range) without the ANCHOR marker lines.
        function include_lines(spec,    parts, n, path, anchor, line, inside, count, lo, hi, i) {
            n = split(spec, parts, ":"); path = "book/src/" parts[1]; anchor = (n >= 2) ? parts[2] : ""
            count = 0; inside = (anchor == "" || anchor ~ /^[0-9]*$/); i = 0
            lo = (anchor ~ /^[0-9]+$/) ? anchor + 0 : 1; hi = (n >= 3 && parts[3] != "") ? parts[3] + 0 : 1e9
            while ((getline line < path) > 0) {
                i++
                if (anchor !~ /^[0-9]*$/) {
                    if (line ~ ("ANCHOR: " anchor "( |$)")) { inside = 1; continue }
                    if (line ~ ("ANCHOR_END: " anchor "( |$)")) { inside = 0; continue }
                }
                if (line ~ /ANCHOR(_END)?: /) continue
                if (inside && i >= lo && i <= hi) count++
            }
            close(path)
            return count
        }
        /^## / { ledger = ($0 ~ /^## Claims ledger/) }
        # fenced code blocks
        /^[ \t]*(```|~~~)/ {
            if (!code) {
                code = 1; start = FNR; len = 0
                if (depth == 0 && !listing && $0 ~ /(```|~~~)[ \t]*rust/) problem("listing outside a <figure class=\"listing\"> with a <figcaption>Listing N-M: ...")
                next
            }
            code = 0; nlist++; all_lines += len
            if (depth == 0) {
                path_lines += len; if (len > longest) longest = len
                if (len > max) problem("listing starting at line " start " shows " len " lines in the reading path (at most " max "; move it into <details> or use a narrower anchor)")
            }
            next
        }
        code {
            if (match($0, /\{\{#(include|rustdoc_include) [^}]+\}\}/)) {
                spec = substr($0, RSTART, RLENGTH); sub(/^\{\{#[a-z_]+ /, "", spec); sub(/ *\}\}$/, "", spec)
                len += include_lines(spec)
            } else len++
            next
        }
        {
            line = $0
            # <details> nesting: the reading path is depth 0
            opens = gsub(/<details/, "&", line); closes = gsub(/<\/details>/, "&", line)
            if (line ~ /<summary>Solution<\/summary>/) { solution = 1; checked = "" }
            if (match(line, /Checked by `[A-Za-z0-9_]+`/)) {
                name = substr(line, RSTART + 12, RLENGTH - 13)
                if (!solution) problem("\"Checked by\" outside a solution")
                else if (!(name in is_test)) problem("solution checked by `" name "`, which is not a #[test] in tests/")
                checked = name
            }
            depth += opens
            # figures
            if (line ~ /!\[[^]]*\]\(/) problem("Markdown image without a visible caption; use <figure> with <figcaption>Figure N.M: ...")
            if (line ~ /<figure/ && line ~ /class="listing"/) { listing = 1; lcaption = 0 }
            if (line ~ /<figure/ && line !~ /class="listing"/) { figure = 1; caption = 0; nfig++ }
            if (line ~ /<figcaption>Listing [0-9]+-[0-9]+: /) {
                lcaption = 1
                if (chap != "" && line !~ ("<figcaption>Listing " chap "-")) problem("listing numbered outside chapter " chap)
            }
            if (line ~ /<img/ && !figure) problem("<img> outside a <figure> with a caption")
            if (line ~ /<figcaption>Figure [0-9]+\.[0-9]+: /) {
                caption = 1
                if (chap != "" && line !~ ("<figcaption>Figure " chap "\\.")) problem("figure numbered outside chapter " chap)
            }
            if (line ~ /<\/figure>/) {
                if (figure && !caption) problem("figure without a <figcaption>Figure N.M: ...</figcaption>")
                if (listing && !lcaption) problem("listing without a <figcaption>Listing N-M: ...</figcaption>")
                figure = 0; listing = 0
            }
            # test names in the prose
            rest = line
            while (match(rest, /`[A-Za-z0-9_]+`/)) {
                name = substr(rest, RSTART + 1, RLENGTH - 2); rest = substr(rest, RSTART + RLENGTH)
                if ((name in is_test) && !ledger && !(solution && name == checked))
                    problem("test name `" name "` in the prose (test names belong in the claims ledger)")
            }
            if (closes > 0) {
                if (solution && checked == "") problem("solution without \"Checked by `test_name`\"")
                if (solution) { solution = 0; nsol++ }
                depth -= closes; if (depth < 0) depth = 0
            }
            if (line ~ /[^ \t]/ && !(ledger && line ~ /^\|/)) prose++
        }
        /^## Summary/ { has_summary = 1 }
        END {
            if (chap != "" && !has_summary) print "E " FILENAME ": no \"## Summary\" section"
            if (chap != "" && (nsol < 4 || nsol > 8)) print "E " FILENAME ": " nsol " exercises with a checked solution (a chapter has 4 to 8)"
            if (stats) printf "S %-14s %6d %9d %8d %8d %8d\n", page, prose, nlist, all_lines, longest, nfig
        }' "$md")
    pending=0
    while IFS= read -r l; do
        case "$l" in
            S\ *) echo "${l#S }" ;;
            E\ *) if [[ "$PENDING" == *" $page "* ]]; then
                      pending=$((pending + 1))
                      [ -n "${BOOK_FORM_VERBOSE:-}" ] && echo "book form (pending): ${l#E }" >&2
                  else
                      echo "BOOK FORM FAILED: ${l#E }" >&2; fail=1
                  fi ;;
        esac
    done <<< "$out"
    [ "$pending" -gt 0 ] && echo "book form: $page.md is pending its rewrite ($pending problems, not failing; BOOK_FORM_VERBOSE=1 lists them)" >&2
done
[ "$fail" = 0 ] && echo "book form check: ok"
exit "$fail"
