#!/bin/sh
# make demo: read 256 MiB of fresh anonymous memory on the stock kernel, then
# with the module in mode always and in mode never; print them side by side.
. /tests/tap.sh
MIB=${MIB:-256}
run() { zp_demo $MIB | sed "s/^/$1 /"; }
{
	run stock
	zp_load
	run always
	echo never >$ZP_SYS/enabled
	run never
	hook=$(cat $ZP_SYS/hook)
	zp_unload
} >/tmp/demo.out
echo "zeropage demo: $(uname -r), hook $hook, $MIB MiB of fresh private anonymous memory (MADV_NOHUGEPAGE)"
echo
awk '
function val(k,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } }
{ cfg[NR] = $1; rt[NR] = val("read_us_per_page"); rss[NR] = val("rss_after_read_mib")
  rf[NR] = val("read_faults"); zp[NR] = val("zero_pfns"); wt[NR] = val("write_us_per_page"); wf[NR] = val("write_faults")
  zm[NR] = val("zero_mapped"); pm[NR] = val("private_mapped") }
END {
  printf "%-30s %12s %12s %12s\n", "", cfg[1], cfg[2], cfg[3]
  printf "%-30s %12s %12s %12s\n", "read fault, us/page", rt[1], rt[2], rt[3]
  printf "%-30s %12s %12s %12s\n", "RSS after reading, MiB", rss[1], rss[2], rss[3]
  printf "%-30s %12s %12s %12s\n", "faults while reading", rf[1], rf[2], rf[3]
  printf "%-30s %12s %12s %12s\n", "zero pages mapped (kpageflags)", zp[1], zp[2], zp[3]
  printf "%-30s %12s %12s %12s\n", "then writing, us/page", wt[1], wt[2], wt[3]
  printf "%-30s %12s %12s %12s\n", "faults while writing", wf[1], wf[2], wf[3]
  printf "%-30s %12s %12s %12s\n", "stats/zero_mapped", "-", zm[2], zm[3]
  printf "%-30s %12s %12s %12s\n", "stats/private_mapped", "-", pm[2], pm[3]
}' /tmp/demo.out
