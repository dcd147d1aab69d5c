import type { Context, Env } from 'hono';

/**
 * `/_sanh/draft.js`: the autosave script a portal adds to its form pages (or Sảnh injects).
 *
 * For every `form[data-sanh-draft="<form id>"]` it keeps a copy on the device
 * (`localStorage["sanh-draft:<form id>"]`: draft id, base revision, the server's values at that
 * revision, the current values, the dirty names, last server save, resume code) and one on the
 * server (the drafts API under `/_sanh/drafts`, see the README's *Drafts*):
 *
 * - every input/change is saved to the device after 300 ms and to the server after 1.5 s (POST
 *   first, then `PUT` merge patches of the changed fields with `If-Match`), with exponential
 *   back-off and jitter on failure (2 s … 60 s, or the server's Retry-After), at once on `online`,
 *   and with `fetch(…, {keepalive})` when the page is hidden or left;
 * - a 412 (another tab or device saved first) fetches the draft and merges field by field against
 *   the base: changed only there → taken into the form; only here → kept; both, differently →
 *   kept, and a notice lists the other value with a button to use it; then it saves again;
 *   a 404 (expired, deleted) starts a new draft from the values on the device;
 * - on load it fills the form from the device copy, then merges the server copy; a
 *   `#sanh-draft=<id>` fragment (from the resume page) adopts that draft;
 * - password, file and hidden inputs, buttons, nameless fields and anything inside
 *   `[data-sanh-draft-skip]` are never saved;
 * - a status line after the form (or in `[data-sanh-draft-status]`), in the page's language
 *   (`<html lang="en…">` English, else Vietnamese), and a "continue on another device" view with
 *   the resume code (copy, print), its expiry and the resume address, and the secret answer
 *   when the form asks for one;
 * - `[data-sanh-draft-done="<form id>"]` (the "submitted" page) deletes both copies.
 *
 * Plain ES5 (no arrow functions, let/const, template literals or `.catch`) so it runs on old
 * phone browsers; XMLHttpRequest, and fetch only for keepalive when it exists. Times are shown
 * in Vietnam's time (UTC+7 all year since 1975, so a fixed offset: the same on every browser,
 * including those without `Intl` time zones), and come from the server's `updatedAt`, not the
 * phone's clock.
 */
export const DRAFT_SCRIPT: string = String.raw`(function(){
var D=document,W=window,N=navigator,A='/_sanh/drafts',EN=/^en/i.test(D.documentElement.lang||''),T={},i,
K='saved off fail saving busy big bad cont have how until copy copied print close ans need save ansOk cf mine other use keep empty'.split(' '),
V=(EN?'Saved on the server at |Offline — saved on this device|Could not save|Saving…|The server is busy — saved on this device|the form is too large|the server did not accept it|Continue on another device|Have a resume code?|On the other device, open this address and enter the code:|The code works until |Copy|Copied|Print|Close|A secret answer (asked when you continue)|Choose a secret answer before the code is shown.|Save the answer|Answer saved.|Another device changed these fields. Your values are kept:|yours: |other device: |Use the other value|Keep mine|(empty)'
:'Đã lưu trên máy chủ lúc |Mất kết nối — đã lưu trên thiết bị này|Không lưu được|Đang lưu…|Máy chủ đang bận — đã lưu trên thiết bị này|hồ sơ quá lớn|máy chủ không nhận dữ liệu|Tiếp tục trên thiết bị khác|Có mã tiếp tục?|Trên thiết bị khác, mở địa chỉ này và nhập mã:|Mã dùng được đến ngày |Sao chép|Đã sao chép|In|Đóng|Câu trả lời bí mật (hỏi khi tiếp tục)|Chọn câu trả lời bí mật trước khi xem mã.|Lưu câu trả lời|Đã lưu câu trả lời.|Thiết bị khác đã sửa các mục này. Đang giữ giá trị của bạn:|của bạn: |thiết bị kia: |Dùng giá trị kia|Giữ giá trị của tôi|(trống)').split('|'),
NO={password:1,file:1,hidden:1,submit:1,button:1,reset:1,image:1},uid=0,css=0,LS;
if(!W.JSON||!D.querySelectorAll||!W.XMLHttpRequest||W.sanhDraft)return;W.sanhDraft=1;
for(i=0;i<K.length;i++)T[K[i]]=V[i];
try{LS=W.localStorage}catch(e){}
function own(o,k){return Object.prototype.hasOwnProperty.call(o,k)}
function js(v){return JSON.stringify(v)}
function eq(a,b){return js(a)===js(b)}
function cp(v){return v===undefined?v:JSON.parse(js(v))}
function arr(v){return Object.prototype.toString.call(v)==='[object Array]'}
function has(a,v){for(var i=0;i<a.length;i++)if(String(a[i])===v)return true;return false}
function blank(v){return v==null||v===''||v===false||arr(v)&&!v.length}
function p2(n){return(n<10?'0':'')+n}
function vn(s){var t=Date.parse(s);return new Date((isNaN(t)?+new Date():t)+252e5)}
function trim(s){return String(s).replace(/^\s+|\s+$/g,'')}
function h(tag,text,cls){var e=D.createElement(tag);if(text!=null)e.appendChild(D.createTextNode(text));if(cls)e.className=cls;return e}
function show(e,on){e.style.display=on?'':'none'}
function on(t,ev,fn){t.addEventListener(ev,fn,false)}
function fire(e,type){var v=D.createEvent('Event');v.initEvent(type,true,false);e.dispatchEvent(v)}
function load(f){try{var s=JSON.parse(LS.getItem('sanh-draft:'+f));if(s&&typeof s.values==='object')return s}catch(e){}return null}
function drop(f){try{LS.removeItem('sanh-draft:'+f)}catch(e){}}
function url(id){return A+'/'+encodeURIComponent(id)}
function txt(v){return blank(v)&&v!==false?T.empty:arr(v)?v.join(', '):typeof v==='object'?js(v):String(v)}
function send(method,u,body,hdr,cb,keep){
var data=body===undefined?null:js(body),k,x,n=0;hdr=hdr||{};hdr.Accept='application/json';
if(data!=null&&!hdr['Content-Type'])hdr['Content-Type']='application/json';
function end(st,t,ra){if(n++)return;var j=null;try{j=JSON.parse(t)}catch(e){}cb(st,j,+ra||0)}
if(keep&&W.fetch&&(data||'').length<6e4)try{return W.fetch(u,{method:method,headers:hdr,body:data,keepalive:true,credentials:'same-origin'}).then(function(r){
return r.text().then(function(t){end(r.status,t,r.headers.get('Retry-After'))})}).then(null,function(){end(0)})}catch(e){}
x=new XMLHttpRequest();x.open(method,u,true);for(k in hdr)x.setRequestHeader(k,hdr[k]);x.timeout=3e4;
x.onreadystatechange=function(){if(x.readyState===4)end(x.status,x.responseText,x.getResponseHeader('Retry-After'))};x.send(data)}
function ok(e){if(!/^(INPUT|SELECT|TEXTAREA)$/.test(e.tagName)||!e.name||e.name==='__proto__'||NO[e.type])return false;
for(;e&&e.getAttribute;e=e.parentNode)if(e.getAttribute('data-sanh-draft-skip')!=null)return false;return true}
function group(forms){var g={},i,j,e,l;for(i=0;i<forms.length;i++){l=forms[i].elements;for(j=0;j<l.length;j++){e=l[j];if(ok(e))(own(g,e.name)?g[e.name]:g[e.name]=[]).push(e)}}return g}
function get(l){var e=l[0],o=[],i,j,t=e.type;if(t==='checkbox'&&l.length===1)return e.checked;
for(i=0;i<l.length;i++){e=l[i];if(t==='radio'){if(e.checked)return e.value}else if(t==='checkbox'){if(e.checked)o.push(e.value)}
else if(t==='select-multiple'){for(j=0;j<e.options.length;j++)if(e.options[j].selected)o.push(e.options[j].value)}else o.push(e.value)}
return t==='radio'?null:t==='checkbox'||t==='select-multiple'||l.length>1?o:o[0]}
function put(l,v){var i,j,e,c,s,o;for(i=0;i<l.length;i++){e=l[i];c=0;
if(e.type==='checkbox'||e.type==='radio'){s=arr(v)?has(v,e.value):typeof v==='boolean'?v:v!=null&&String(v)===e.value;if(e.checked!==s){e.checked=s;c=1}}
else if(e.type==='select-multiple')for(j=0;j<e.options.length;j++){o=e.options[j];s=has(arr(v)?v:[v],o.value);if(o.selected!==s){o.selected=s;c=1}}
else{s=arr(v)?v[i]:v;s=s==null?'':String(s);if(e.value!==s){e.value=s;c=1}}
if(c){fire(e,'input');fire(e,'change')}}}
function style(){if(css++)return;var s=h('style','.sanh-d{margin:1rem 0;font-size:.9375rem}.sanh-d p{margin:.375rem 0}.sanh-st{color:#3d4750}.sanh-err{color:#a4161a;font-weight:600}'+
'.sanh-d button{font:inherit;margin:.25rem .5rem .25rem 0;padding:.5rem .875rem;color:#0b5cad;background:#fff;border:1px solid #0b5cad;border-radius:.375rem}'+
'.sanh-d :focus{outline:3px solid #f0b400;outline-offset:2px}.sanh-d a{color:#0b5cad}.sanh-box{padding:.75rem;border:2px solid #0b5cad;border-radius:.5rem;background:#f5f9ff}'+
'.sanh-cf{border-color:#b35900;background:#fff8ec}.sanh-code{font:700 1.625rem/1.3 monospace;letter-spacing:.06em}.sanh-url{font-family:monospace;word-break:break-all}'+
'.sanh-d label{display:block;font-weight:600}.sanh-d input{font:inherit;width:100%;max-width:20rem;box-sizing:border-box;padding:.5rem;border:1px solid #8c959f;border-radius:.375rem}'+
'@media print{body *{visibility:hidden!important}.sanh-pr,.sanh-pr *{visibility:visible!important}.sanh-pr{position:absolute;left:0;top:0;border:0}.sanh-np{display:none!important}}');
(D.head||D.documentElement).appendChild(s)}
function setup(fid,forms,adopt){
var s=load(fid)||{},box=h('div',0,'sanh-d'),id='sanh-d'+ ++uid,t1=0,t2=0,busy=0,again=0,fails=0,stale=0,filling=0,last='',sl,st,pn,k;
s.values=s.values||{};s.base=s.base||{};s.cf=s.cf||{};
function changed(){var c={},n=0,k;for(k in s.values)if(own(s.values,k)&&!eq(s.values[k],s.base[k])){c[k]=s.values[k];n++}
for(k in s.base)if(own(s.base,k)&&!own(s.values,k)){c[k]=null;n++}return n?c:null}
function save(){var c=changed(),k,d=[];for(k in c)d.push(k);s.dirty=d;try{LS.setItem('sanh-draft:'+fid,js(s))}catch(e){}}
function collect(){var g=group(forms),k,v,c=0;clearTimeout(t1);t1=0;
for(k in g)if(own(g,k)){v=get(g[k]);if(own(s.values,k)?!eq(v,s.values[k]):!blank(v)){s.values[k]=v;c=1}}if(c)save();return c}
function fill(only){var g=group(forms),k;filling=1;
try{for(k in g)if(own(g,k)&&(only===true||own(only||s.values,k)))put(g[k],s.values[k])}finally{filling=0}}
function say(k,why){var t=k==='saved'?T.saved+hm(s.savedAt):T[k]+(why?': '+why:'');
if(t!==last){last=t;q('st').textContent=t;q('st').className='sanh-st'+(k==='fail'?' sanh-err':'')}}
function hm(t){var d=vn(t);return p2(d.getUTCHours())+':'+p2(d.getUTCMinutes())}
function meta(j){if(j.revision)s.rev=j.revision;if(j.expiresAt)s.exp=j.expiresAt;if(j.updatedAt)s.savedAt=j.updatedAt;
if(j.resumeCode)s.code=j.resumeCode;if(j.resumeAnswer)s.ra=j.resumeAnswer;if(j.resumeAnswerSet!=null)s.ras=j.resumeAnswerSet;panel()}
function soon(ms){if(fails&&t2)return;clearTimeout(t2);t2=setTimeout(flush,ms)}
function input(ev){if(!filling&&ev.target&&ok(ev.target)){clearTimeout(t1);t1=setTimeout(local,300)}}
function local(){if(!collect())return;stale=0;if(!fails)say(N.onLine===false?'off':'saving');soon(1500)}
function fresh(){s.id=s.rev=s.code=s.exp=null;s.ras=false;s.base={};s.cf={};panel();conflicts()}
function fail(st,ra){if(st>=400&&st<500&&st!==408&&st!==429)return say('fail',st===413?T.big:T.bad);
fails++;var d=Math.min(6e4,2e3*Math.pow(2,fails-1))*(.75+Math.random()/2);
say(st&&N.onLine!==false?'busy':'off');clearTimeout(t2);t2=setTimeout(flush,Math.max(2e3,Math.min(6e4,Math.max(d,ra*1e3))))}
function done(){var a=again;fails=again=stale=0;save();if(changed())soon(a?0:1500);else say('saved')}
function flush(){clearTimeout(t2);t2=0;if(busy){again=1;return}collect();var c=changed(),sent;
if(!s.id){if(!c)return;busy=1;say('saving');sent=cp(s.values);
return send('POST',A,{formId:fid,fields:sent,returnTo:location.pathname+location.search},0,function(st,j,ra){busy=0;
if(st===201&&j&&j.id){s.id=j.id;s.base=j.fields||sent;meta(j);return done()}fail(st,ra)})}
if(!c)return s.savedAt&&say('saved');busy=1;say('saving');patch(c)}
function patch(c,keep){
send('PUT',url(s.id),c,{'Content-Type':'application/merge-patch+json','If-Match':'"'+s.rev+'"'},function(st,j,ra){busy=0;
if(st===200&&j){for(var k in c)if(own(c,k)){if(c[k]===null)delete s.base[k];else s.base[k]=c[k]}meta(j);return done()}
if(st===412&&stale++<3)return pull(flush);if(st===404){fresh();return flush()}fail(st,ra)},keep)}
function pull(then,id){busy=1;
send('GET',url(id||s.id),undefined,0,function(st,j,ra){busy=0;var ok=st===200&&j&&j.fields;
if(id&&!(ok&&j.formId===fid))return start();
if(ok){if(j.id!==s.id){s={values:cp(j.fields),base:cp(j.fields),cf:{},id:j.id};fill(true)}merge(j)}
else if(st===404)fresh();else return fail(st,ra);then()})}
function start(){if(s.id)pull(flush);else if(changed())soon(1500)}
function merge(j){var sv=j.fields,b=s.base,l=s.values,all={},touched={},k,sc;collect();
for(k in sv)all[k]=1;for(k in b)all[k]=1;for(k in l)all[k]=1;
for(k in all)if(own(all,k)){sc=!eq(sv[k],b[k]);
if(sc&&eq(l[k],b[k])){if(own(sv,k))l[k]=cp(sv[k]);else delete l[k];touched[k]=1}
else if(sc&&!eq(sv[k],l[k]))s.cf[k]=own(sv,k)?sv[k]:null;
if(own(s.cf,k)&&eq(s.cf[k]===null?undefined:s.cf[k],l[k]))delete s.cf[k]}
s.base=cp(sv);meta(j);fill(touched);save();conflicts()}
function label(k){var e=(group(forms)[k]||[])[0],l=e&&e.labels&&e.labels[0];return l?trim(l.textContent):k}
function conflicts(){var b=q('cf'),k,n=0,r,u;b.innerHTML='';b.appendChild(h('p',T.cf));
for(k in s.cf)if(own(s.cf,k)){n++;r=h('p');r.appendChild(h('strong',label(k)));
r.appendChild(D.createTextNode(' — '+T.mine+txt(s.values[k])+'; '+T.other+txt(s.cf[k])+' '));
u=h('button',T.use);u.type='button';u.setAttribute('data-k',k);r.appendChild(u);b.appendChild(r)}
u=h('button',T.keep,'sanh-keep');u.type='button';b.appendChild(u);show(b,n)}
function use(k){var v=s.cf[k],o={};if(v===null)delete s.values[k];else s.values[k]=v;delete s.cf[k];o[k]=1;fill(o);save();conflicts();soon(0)}
function panel(){var need=s.ra==='required'&&!s.ras,d=vn(s.exp);
show(q('cont'),s.code);q('code').textContent=s.code||'';show(q('code'),!need);show(q('copy'),!need);show(q('print'),!need);show(q('need'),need);
q('until').textContent=T.until+p2(d.getUTCDate())+'/'+p2(d.getUTCMonth()+1)+'/'+d.getUTCFullYear();show(q('until'),!need&&s.exp);
show(q('ans'),(need||s.ra==='optional')&&!s.ras)}
function q(c){return box.querySelector('.sanh-'+c)}
function msg(t){q('msg').textContent=t}
function toggle(o){show(pn,o);q('cont').setAttribute('aria-expanded',''+!!o);msg('');(o?pn:q('cont')).focus()}
function answer(){var i=q('ans').getElementsByTagName('input')[0],v=trim(i.value);if(!v||!s.id)return i.focus();
send('PUT',url(s.id)+'/resume-answer',{answer:v},0,function(st){if(st===204){s.ras=true;save();panel();msg(T.ansOk)}else msg(T.fail)})}
function copy(){var c=s.code||'',t;function yes(){msg(T.copied)}
function old(){t=h('textarea');t.value=c;t.style.position='fixed';t.style.opacity='0';D.body.appendChild(t);t.select();
try{if(D.execCommand('copy'))yes()}catch(e){}D.body.removeChild(t)}
if(N.clipboard&&N.clipboard.writeText)N.clipboard.writeText(c).then(yes,old);else old()}
function hide(){collect();var c=changed();if(s.id&&!busy&&c){busy=1;patch(c,1)}}
function b(c,t){return '<button type="button" class="sanh-'+c+'">'+t+'</button>'}
style();
box.innerHTML='<p class="sanh-st" role="status" aria-live="polite"></p><div class="sanh-box sanh-cf" role="alert"></div><p>'+b('cont',T.cont)+
' <a class="sanh-have" href="'+A+'/resume'+(EN?'?lang=en':'')+'">'+T.have+'</a></p><div class="sanh-box sanh-pr" id="'+id+'" tabindex="-1" style="display:none"><p>'+T.how+
'</p><p class="sanh-url"></p><p class="sanh-code"></p><p class="sanh-until"></p><p class="sanh-need">'+T.need+'</p><div class="sanh-np sanh-ans"><label for="'+id+
'a">'+T.ans+'</label><input id="'+id+'a" type="text" maxlength="100" autocomplete="off" data-sanh-draft-skip>'+b('save',T.save)+'</div><p class="sanh-np">'+
b('copy',T.copy)+b('print',T.print)+b('close',T.close)+'<span class="sanh-msg" aria-live="polite"></span></p></div>';
pn=q('pr');q('url').textContent=location.protocol+'//'+location.host+A+'/resume';q('cont').setAttribute('aria-controls',id);q('cont').setAttribute('aria-expanded','false');
box.onclick=function(e){var t=e.target,c=t.className,k=t.getAttribute('data-k');if(k!=null)use(k);else if(c==='sanh-cont')toggle(pn.style.display==='none');
else if(c==='sanh-close')toggle(0);else if(c==='sanh-copy')copy();else if(c==='sanh-print')W.print();else if(c==='sanh-save')answer();else if(c==='sanh-keep'){s.cf={};save();conflicts()}};
sl=D.querySelectorAll('[data-sanh-draft-status]');for(i=0;i<sl.length;i++){k=sl[i].getAttribute('data-sanh-draft-status');if(k===fid||!k&&!st)st=sl[i]}
if(st)st.appendChild(box);else{k=forms[forms.length-1];k.parentNode.insertBefore(box,k.nextSibling)}
panel();conflicts();fill();collect();
for(i=0;i<forms.length;i++){on(forms[i],'input',input);on(forms[i],'change',input)}
on(W,'online',function(){fails=0;flush()});on(W,'pagehide',hide);on(D,'visibilitychange',function(){if(D.visibilityState==='hidden')hide()});
on(W,'pageshow',function(e){if(e.persisted&&s.id)pull(flush)});
if(s.savedAt&&!changed())say('saved');if(adopt)pull(flush,adopt);else start()}
var fs=D.querySelectorAll('form[data-sanh-draft]'),dn=D.querySelectorAll('[data-sanh-draft-done]'),by={},ids=[],f,s,m=/^#sanh-draft=([\w-]{1,100})$/.exec(location.hash);
if(m&&W.history&&history.replaceState)history.replaceState(history.state,'',location.pathname+location.search);
for(i=0;i<dn.length;i++){f=dn[i].getAttribute('data-sanh-draft-done');s=load(f);drop(f);if(s&&s.id)send('DELETE',url(s.id),undefined,0,function(){},1)}
for(i=0;i<fs.length;i++){f=fs[i].getAttribute('data-sanh-draft');if(f&&!own(by,f)){by[f]=[];ids.push(f)}if(f)by[f].push(fs[i])}
for(i=0;i<ids.length;i++)setup(ids[i],by[ids[i]],m&&m[1])
})();
`;

/** FNV-1a over the UTF-16 code units: a stable, runtime-independent fingerprint of the script. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

/** The script's strong ETag (changes whenever the script does). */
export const DRAFT_SCRIPT_ETAG = `"draft-${fingerprint(DRAFT_SCRIPT)}-${DRAFT_SCRIPT.length.toString(36)}"`;

/** The gzip-compressed script's ETag (another representation, so another strong tag). */
const GZIP_ETAG = DRAFT_SCRIPT_ETAG.replace(/"$/, '-gz"');

/**
 * The script gzip-compressed, once `CompressionStream` (Node 18+, Workers, browsers) has made it
 * at start: about 6 KB instead of 15 KB on a phone's connection. Until then, or where the runtime
 * has none, the script is served uncompressed.
 */
let gzipped: Uint8Array | undefined;
if (typeof CompressionStream === 'function') {
  new Response(new Blob([DRAFT_SCRIPT]).stream().pipeThrough(new CompressionStream('gzip')))
    .arrayBuffer()
    .then((buffer) => {
      gzipped = new Uint8Array(buffer);
    })
    .catch(() => undefined);
}

/** True when an `If-None-Match` value names `etag` (or is `*`). */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return acceptEncoding !== undefined && /(^|,)\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*(,|$))[\d.]+)?\s*(,|$)/i.test(acceptEncoding);
}

/**
 * `GET /_sanh/draft.js`: the script as `application/javascript`, cacheable for an hour, with its
 * ETag, gzip-compressed for clients that accept it (`Vary: Accept-Encoding`); `304` without a
 * body when `If-None-Match` names the representation. Mount it as is:
 * `routes.get('/draft.js', draftScriptHandler)`.
 */
export function draftScriptHandler<E extends Env>(c: Context<E>): Response {
  const compressed = gzipped !== undefined && acceptsGzip(c.req.header('accept-encoding')) ? gzipped : undefined;
  const etag = compressed ? GZIP_ETAG : DRAFT_SCRIPT_ETAG;
  const headers: Record<string, string> = {
    'Cache-Control': 'public, max-age=3600',
    ETag: etag,
    Vary: 'Accept-Encoding',
  };
  if (notModified(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
  const common = { ...headers, 'Content-Type': 'application/javascript; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
  if (compressed) return c.body(new Uint8Array(compressed), 200, { ...common, 'Content-Encoding': 'gzip' });
  return c.body(DRAFT_SCRIPT, 200, common);
}
