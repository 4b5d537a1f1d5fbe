"""Top-level instruction counts and bytes written per kind of an XLA dump's optimized HLO.

Usage: python hlo_stats.py DUMP_DIR/module_*.cpu_after_optimizations.txt ...
(dump with XLA_FLAGS="--xla_dump_to=DIR --xla_dump_hlo_as_text")
"""
import re,sys,collections
def stats(path):
    txt=open(path).read()
    entry=txt[txt.index('\nENTRY'):]
    c=collections.Counter(); b=collections.Counter()
    for line in entry.splitlines()[1:]:
        m=re.match(r'\s+%?(\S+) = (\w+)\[([\d,]*)\]\{?[^ ]* (\w[\w-]*)\(',line)
        if not m: continue
        name,dt,shape,op=m.groups()
        if op in('parameter','constant','bitcast'): continue
        n=1
        for d in shape.split(','):
            if d: n*=int(d)
        kind=op
        if op in('call','fusion'):
            t=re.search(r'(?:to_apply|calls)=%?([\w.-]+)',line).group(1)
            kind=op+':'+re.sub(r'[\d.]+$','',t)
            if '"kind":"__ynn_fusion"' in line: kind+='(ynn)'
        c[kind]+=1; b[kind]+=n*4
    tot=sum(b.values())
    for k,v in sorted(c.items(),key=lambda kv:-b[kv[0]]):
        print('%-45s %4d  %8.1f MB out'%(k,v,b[k]/1e6))
    print('TOTAL ops %d, %.1f MB written'%(sum(c.values()),tot/1e6))
for p in sys.argv[1:]:
    print('==',p.split('/')[-1][:60]); stats(p)
