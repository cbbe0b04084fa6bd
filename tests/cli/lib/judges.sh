# judges.sh: running a command of initlab and judging the run, shared by the command tests in tests/cli
# (sourced after tap.sh, with INITLAB, TMP and WORK set, and IL_CMD the prefix every error line must have,
# e.g. "initlab claims").
# run ARGS...: initlab in a fresh, empty $WORK; sets st, and the files $TMP/out and $TMP/err.
run() {
    rm -rf "$WORK" && mkdir "$WORK" || exit 1
    (cd "$WORK" && exec "$INITLAB" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null)
    st=$?
}

# Judges: 0 if the last run passes, else 1 with the reason in $why.
status_is() {
    why="exit status $st, expected $1"
    [ "$st" -eq "$1" ]
}
stderr_names() {
    lines=$(wc -l <"$TMP/err")
    line=$(head -n 1 "$TMP/err")
    why="stderr has $lines line(s), expected one naming: $1"
    [ "$lines" -eq 1 ] && [ "$(wc -c <"$TMP/err")" -eq $((${#line} + 1)) ] || return 1
    case $line in
    "$IL_CMD"*) ;;
    *) why="stderr does not start with '$IL_CMD': $line"; return 1 ;;
    esac
    case $line in
    *"(null)"*) why="stderr prints a null string"; return 1 ;;
    esac
    rest=$1
    while [ -n "$rest" ]; do
        sub=${rest%% & *}
        if [ "$sub" = "$rest" ]; then rest=; else rest=${rest#* & }; fi
        case $line in
        *"$sub"*) ;;
        *) why="stderr does not mention '$sub': $line"; return 1 ;;
        esac
    done
}
stderr_empty() {
    why="stderr: $(head -c 300 "$TMP/err")"
    [ ! -s "$TMP/err" ]
}
stdout_empty() {
    why="$(wc -c <"$TMP/out") bytes on stdout"
    [ ! -s "$TMP/out" ]
}
work_empty() {
    left=$(ls -A "$WORK")
    why="left in the directory: $(echo $left)"
    [ -z "$left" ]
}
show() {
    printf '#     got exit status %s\n' "$st"
    head -n 3 "$TMP/err" | sed 's/^/#     stderr: /'
}
check() {
    desc=$1
    shift
    if "$@"; then
        ok "$desc"
    else
        not_ok "$desc" "$why"
        show
    fi
}
