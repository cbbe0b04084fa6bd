#!/bin/sh
# sim_resume.sh: interruption, checkpoints and resumption of `initlab sim` give the same bytes as an
# uninterrupted run; partial output is marked; bad checkpoints are refused.
INITLAB=${INITLAB:-build/initlab}
case "$INITLAB" in /*) ;; *) INITLAB="$(pwd)/$INITLAB" ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
ok() { echo "ok $*"; }
bad() { echo "not ok $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

A0="--widths 16,32,32,8 --act tanh --dropout 0.2 --draws 3000 --batch 8 --post --quiet"
A="$A0 --seed 11 --threads 2"
"$INITLAB" sim $A --out full.tsv
check "uninterrupted reference run" "[ -s full.tsv ]"

# Chunks: stop after ~1000 draws twice, then finish; each chunk resumes the checkpoint.
"$INITLAB" sim $A --checkpoint ck --stop-after 1000 --out c1.tsv 2>err1; s1=$?
check "first chunk exits 3 (partial)" "[ $s1 -eq 3 ]"
check "first chunk says it stopped" "grep -q 'stopped after' err1"
check "partial output is marked with its draw count" "grep -q '^# partial = yes: stopped after [0-9]* of 3000 draws' c1.tsv"
check "partial rows carry the draws done" "awk -F'\t' '!/^#/ && \$1 ~ /^[0-9]/ { if (\$4 >= 3000 || \$4 < 1000) exit 1 }' c1.tsv"
"$INITLAB" sim $A --resume ck --checkpoint ck --stop-after 1000 --out c2.tsv 2>/dev/null; s2=$?
check "second chunk exits 3" "[ $s2 -eq 3 ]"
"$INITLAB" sim $A --resume ck --checkpoint ck --out c3.tsv; s3=$?
check "last chunk exits 0" "[ $s3 -eq 0 ]"
check "chunked run is byte-identical to the uninterrupted one" "cmp -s full.tsv c3.tsv"
check "resuming a finished checkpoint reproduces the output" "\"$INITLAB\" sim $A --resume ck --out c4.tsv && cmp -s full.tsv c4.tsv"
check "resuming with other threads gives the same bytes" "\"$INITLAB\" sim $A0 --seed 11 --threads 1 --resume ck --out c5.tsv 2>/dev/null; cmp -s full.tsv c5.tsv"

# A real signal: wait until the periodic checkpoint holds some draws, then SIGINT.
B="--widths 64,64,64,64,64 --act relu --draws 400000 --batch 8 --seed 3 --threads 2 --quiet"
"$INITLAB" sim $B --checkpoint ck2 --checkpoint-every 1 --out sig.tsv 2>errs &
pid=$!
i=0
while [ $i -lt 200 ] && ! grep -aq '^draws_done [1-9]' ck2 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid; ss=$?
check "SIGINT: exit status 3" "[ $ss -eq 3 ]"
check "SIGINT: partial results written" "grep -q '^# partial = yes' sig.tsv"
check "SIGINT: one message naming the signal" "[ \$(wc -l <errs) -eq 1 ] && grep -q 'interrupted by signal 2' errs"
check "SIGINT: no temporary files left" "[ -z \"\$(ls | grep '\.tmp\.')\" ]"
done_sig=$(grep -a '^draws_done' ck2 | awk '{print $2}')
check "SIGINT: checkpoint holds the draws of the partial output" "grep -q \"^1	pre	64	$done_sig	\" sig.tsv"

# Refusals: another configuration, a corrupt file, a missing file.
"$INITLAB" sim $A0 --seed 12 --resume ck --out x.tsv 2>e1; r1=$?
check "resume with another seed: exit 2, one line naming --resume, no output" \
    "[ $r1 -eq 2 ] && [ \$(wc -l <e1) -eq 1 ] && grep -q -- '--resume' e1 && [ ! -e x.tsv ]"
head -c 300 ck >trunc
"$INITLAB" sim $A --resume trunc --out x.tsv 2>e2; r2=$?
check "truncated checkpoint refused (exit 2)" "[ $r2 -eq 2 ] && grep -q 'corrupt\|truncated' e2 && [ ! -e x.tsv ]"
cp ck flip
printf 'X' | dd of=flip bs=1 seek=2000 conv=notrunc 2>/dev/null
"$INITLAB" sim $A --resume flip --out x.tsv 2>e3; r3=$?
check "corrupted checkpoint refused by its checksum" "[ $r3 -eq 2 ] && grep -q 'checksum' e3"
echo "not a checkpoint" >junk
"$INITLAB" sim $A --resume junk --out x.tsv 2>e4; r4=$?
check "a non-checkpoint file refused" "[ $r4 -eq 2 ] && grep -q 'not an initlab checkpoint' e4"
"$INITLAB" sim $A --resume missing --out x.tsv 2>e5; r5=$?
check "missing checkpoint: exit 1 with the path" "[ $r5 -eq 1 ] && grep -q \"missing\" e5"
"$INITLAB" sim $A --checkpoint-every 5 2>e6; r6=$?
check "--checkpoint-every without --checkpoint refused" "[ $r6 -eq 2 ] && grep -q -- '--checkpoint FILE' e6"
"$INITLAB" sim $A --stop-after 0 2>e7; r7=$?
check "--stop-after 0 refused" "[ $r7 -eq 2 ] && grep -q -- '--stop-after' e7"
check "output files get the usual mode (not 0600)" "[ \"\$(stat -c %a full.tsv)\" = \"\$(umask 0022; touch m; stat -c %a m)\" ]"
exit $fails
