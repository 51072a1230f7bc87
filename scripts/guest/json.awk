# Print the string values of one top-level key of a JSON object, one per line.
# `-v want=hostname` prints the hostname; `-v want=public_keys` prints every
# string inside the public_keys object (or array). Enough JSON for OpenStack's
# meta_data.json without a JSON parser in the guest: strings, nesting, escapes.
function unescape(s,    out, k, c, d) {
    out = ""
    for (k = 1; k <= length(s); k++) {
        c = substr(s, k, 1)
        if (c != "\\") { out = out c; continue }
        k++
        d = substr(s, k, 1)
        if (d == "n") out = out "\n"
        else if (d == "t") out = out "\t"
        else if (d == "r") out = out "\r"
        else if (d == "u") out = out "\\u"
        else out = out d
    }
    return out
}
{ text = text $0 "\n" }
END {
    n = length(text); depth = 0; key = ""
    for (i = 1; i <= n; i++) {
        c = substr(text, i, 1)
        if (c == "{" || c == "[") { depth++; continue }
        if (c == "}" || c == "]") { depth--; continue }
        if (c != "\"") continue
        str = ""
        for (i++; i <= n; i++) {
            c = substr(text, i, 1)
            if (c == "\\") { str = str c substr(text, i + 1, 1); i++; continue }
            if (c == "\"") break
            str = str c
        }
        j = i + 1
        while (j <= n && substr(text, j, 1) ~ /[ \t\r\n]/) j++
        if (substr(text, j, 1) == ":") {
            if (depth == 1) key = unescape(str)
            continue
        }
        if (key == want && (depth == 1 || depth == 2)) print unescape(str)
    }
}
