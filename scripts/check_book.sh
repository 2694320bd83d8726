#!/usr/bin/env bash
# Builds the book and fails on anything a reader would notice: a formula that did not
# render, an include that did not resolve, a figure that is missing or never shown, a
# resource loaded from the network. Usage: bash scripts/check_book.sh (after tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
log=target/mdbook.log
rm -rf book/book
mdbook build book 2>&1 | tee "$log"
fail=0
problem() { echo "BOOK CHECK FAILED: $*" >&2; fail=1; }

# 1. Math: mdbook-katex logs "Rendering failed" and carries on; we do not.
grep -q "Rendering failed" "$log" && problem "a formula did not render (see $log)"
# 2. Warnings and errors, all of them: a missing include or anchor shows up here, and so
#    does "built against mdbook vX, called from vY" when the pinned tools disagree.
if grep -qE "WARN|ERROR|was built against" "$log"; then
    grep -E "WARN|ERROR|was built against" "$log" >&2
    problem "mdbook printed warnings or errors (pin versions in scripts/tools.sh that agree)"
fi
# 3. Includes: every {{#include file:anchor}} names an existing file and anchor (mdbook
#    silently includes nothing for a missing anchor), and none survives into the HTML.
while IFS= read -r inc; do
    spec=${inc#*include }; spec=${spec%\}\}}; spec=${spec%% }
    file=${spec%%:*}; anchor=""
    [ "$file" != "$spec" ] && anchor=${spec#*:}
    [ -f "book/src/$file" ] || { problem "include of a missing file: $inc"; continue; }
    case "$anchor" in
        ''|[0-9]*) ;;
        *) grep -qE "ANCHOR: $anchor( |$)" "book/src/$file" || problem "include of a missing anchor: $inc" ;;
    esac
done < <(grep -rhoE '\{\{#(include|rustdoc_include) [^}]+\}\}' book/src --include='*.md' | sort -u)
grep -rl '{{#' book/book --include='*.html' && problem "unresolved {{#...}} directives in the HTML above"
# 4. Offline: no stylesheet, script, font or image from another host.
# Links a reader clicks (<a href>) are fine; resources (stylesheets, scripts, images) are not.
res=$(grep -rhoE '<(link|script|img|source|iframe)[^>]*(src|href)="(https?:)?//[^"]+"' book/book --include='*.html' | sort -u || true)
cdn=$(grep -rlE 'cdn\.jsdelivr|cdnjs\.|unpkg\.com|googleapis|mathjax' book/book --include='*.html' || true)
[ -n "$res" ] && { echo "$res" >&2; problem "the book loads resources from the network"; }
[ -n "$cdn" ] && { echo "$cdn" >&2; problem "CDN or MathJax references in the built HTML"; }
grep -qE 'url\((https?:)?//' book/book/katex/katex.min.css && problem "KaTeX CSS points at the network"
[ -f book/book/katex/fonts/KaTeX_Main-Regular.woff2 ] || problem "KaTeX fonts were not copied into the book"
# 5. Every page whose source has TeX shows rendered math, and no raw display math survives
#    outside code (the notes' TeX source is shown in code blocks on purpose).
for md in book/src/*.md; do
    page=book/book/$(basename "${md%.md}").html
    [ -f "$page" ] || continue
    if grep -qE '\$[^$ ]' "$md"; then
        grep -q 'class="katex"' "$page" || problem "$page has TeX in its source but no rendered math"
    fi
    prose=$(perl -0pe 's{<pre\b.*?</pre>}{}gs; s{<code\b.*?</code>}{}gs; s{<annotation\b.*?</annotation>}{}gs' "$page")
    grep -qE '\$\$' <<<"$prose" && problem "$page contains raw \$\$ (unrendered display math)"
done
# 5b. Markdown reads two "~" in a paragraph as strikethrough; KaTeX writes \tilde's accent
#    as a literal "~", so two \tilde in one paragraph strike the text between them and
#    break the formula's HTML (write \widetilde). No page means to strike anything out.
del=$(grep -lE '<del>' book/book/*.html | grep -v print.html || true)
[ -n "$del" ] && { echo "$del" >&2; problem "struck-out text (<del>) in the HTML above: two ~ in one paragraph"; }
# 6. Figures: every image the HTML shows exists, and every committed SVG is shown.
while read -r page src; do
    dir=$(dirname "$page")
    [ -f "$dir/$src" ] || problem "$page shows $src, which does not exist"
done < <(grep -roE '<img src="[^"]+"' book/book --include='*.html' | grep -v 'print.html' \
          | sed -E 's/:<img src="/ /; s/"$//' | grep -vE ' (https?:)?//')
for svg in figures/*/*.svg; do
    [ -e "$svg" ] || continue
    grep -rqF "$svg" book/src --include='*.md' || problem "$svg is committed but no chapter shows it"
done
# 7. Textbook form: numbered figure captions, short listings in the reading path, exercise
#    answers checked by tests that exist, test names only in ledgers (see that script).
bash scripts/check_book_form.sh || problem "the book does not follow the textbook form (above)"
[ "$fail" = 0 ] && echo "book check: ok ($(ls book/book/*.html | wc -l) pages)"
exit "$fail"
