-- wrk script: every request is a distinct PagerDuty V3 `incident.triggered`
-- delivery (its own X-Webhook-Id, event id and incident id), signed with
-- HMAC-SHA256 of its body under the integration's secret, as PagerDuty signs.
--
--   wrk -t<threads> ... -s bench/pagerduty.lua <webhook url> -- <secret> [requests/s <threads>]
--
-- With a rate, each thread sends on a fixed schedule (rate / threads per
-- second, spread over its connections) so the deliveries offered do not
-- depend on how fast the server answers, as long as connections are free.

local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local rshift, lshift, ror, tobit, tohex = bit.rshift, bit.lshift, bit.ror, bit.tobit, bit.tohex

local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

local function sha256(msg)
  local len = #msg
  local zeros = (64 - (len + 9) % 64) % 64
  local bits = len * 8
  msg = msg .. "\128" .. string.rep("\0", zeros)
    .. string.char(0, 0, 0, 0,
      band(rshift(bits, 24), 255), band(rshift(bits, 16), 255),
      band(rshift(bits, 8), 255), band(bits, 255))
  local h0, h1, h2, h3 = 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a
  local h4, h5, h6, h7 = 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  local w = {}
  for i = 1, #msg, 64 do
    for j = 0, 15 do
      local a, b, c, d = msg:byte(i + j * 4, i + j * 4 + 3)
      w[j] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
    end
    for j = 16, 63 do
      local x, y = w[j - 15], w[j - 2]
      local s0 = bxor(ror(x, 7), ror(x, 18), rshift(x, 3))
      local s1 = bxor(ror(y, 17), ror(y, 19), rshift(y, 10))
      w[j] = tobit(w[j - 16] + s0 + w[j - 7] + s1)
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for j = 0, 63 do
      local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
      local ch = bxor(band(e, f), band(bnot(e), g))
      local t1 = tobit(h + S1 + ch + K[j + 1] + w[j])
      local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
      local maj = bxor(band(a, b), band(a, c), band(b, c))
      h, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + S0 + maj)
    end
    h0, h1, h2, h3 = tobit(h0 + a), tobit(h1 + b), tobit(h2 + c), tobit(h3 + d)
    h4, h5, h6, h7 = tobit(h4 + e), tobit(h5 + f), tobit(h6 + g), tobit(h7 + h)
  end
  local out = {}
  for _, v in ipairs({ h0, h1, h2, h3, h4, h5, h6, h7 }) do
    out[#out + 1] = string.char(band(rshift(v, 24), 255), band(rshift(v, 16), 255),
      band(rshift(v, 8), 255), band(v, 255))
  end
  return table.concat(out)
end

local function to_hex(bytes)
  return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local ipad, opad
local function hmac_hex(msg)
  return to_hex(sha256(opad .. sha256(ipad .. msg)))
end

local function pads(key)
  if #key > 64 then key = sha256(key) end
  key = key .. string.rep("\0", 64 - #key)
  local i, o = {}, {}
  for n = 1, 64 do
    local b = key:byte(n)
    i[n] = string.char(bxor(b, 0x36))
    o[n] = string.char(bxor(b, 0x5c))
  end
  return table.concat(i), table.concat(o)
end

-- Per-thread state ----------------------------------------------------------

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } hs_timespec;
int clock_gettime(int clock, hs_timespec *tp);
]]
local timespec = ffi.new("hs_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local interval_ms, next_at = nil, 0
accepted, other = 0, 0 -- globals, so done() can read them from each thread

function init(args)
  ipad, opad = pads(args[1])
  -- Self-check against RFC 4231 test case 2 so a broken signer shows at once.
  local ki, ko = ipad, opad
  ipad, opad = pads("Jefe")
  assert(hmac_hex("what do ya want for nothing?") ==
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    "the HMAC-SHA256 signer is broken")
  ipad, opad = ki, ko
  local rate, threads = tonumber(args[2]), tonumber(args[3])
  if rate and threads then
    interval_ms = 1000 * threads / rate
    next_at = now_ms()
  end
  math.randomseed(os.time() + id)
  prefix = string.format("%d-%d-%d", os.time(), id, math.random(1, 1e9))
end

function delay()
  if not interval_ms then return 0 end
  local now = now_ms()
  -- Behind schedule (every connection busy), the schedule restarts from now.
  next_at = math.max(next_at + interval_ms, now)
  return math.floor(next_at - now)
end

local template = [[{"event":{"id":"%s","event_type":"incident.triggered","resource_type":"incident","occurred_at":"%s","agent":{"html_url":"https://bench.pagerduty.com/users/PBENCH","id":"PBENCH","self":"https://api.pagerduty.com/users/PBENCH","summary":"Bench Bot","type":"user_reference"},"client":null,"data":{"id":"%s","type":"incident","self":"https://api.pagerduty.com/incidents/%s","html_url":"https://bench.pagerduty.com/incidents/%s","number":%d,"status":"triggered","incident_key":"%s","created_at":"%s","title":"Checkout latency above 2s (%d)","service":{"html_url":"https://bench.pagerduty.com/services/PSVC","id":"PSVC","self":"https://api.pagerduty.com/services/PSVC","summary":"checkout","type":"service_reference"},"assignees":[],"escalation_policy":{"html_url":"https://bench.pagerduty.com/escalation_policies/PEP","id":"PEP","self":"https://api.pagerduty.com/escalation_policies/PEP","summary":"Default","type":"escalation_policy_reference"},"teams":[],"priority":null,"urgency":"high","conference_bridge":null,"resolve_reason":null}}}]]

function request()
  counter = counter + 1
  local key = prefix .. "-" .. counter
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local body = string.format(template, "EV" .. key, at, "IN" .. key, "IN" .. key,
    "IN" .. key, counter, key, at, counter)
  local headers = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "PagerDuty-Webhook/V3.0",
    ["X-Webhook-Id"] = key,
    ["X-PagerDuty-Signature"] = "v1=" .. hmac_hex(body),
  }
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("accepted")
    bad = bad + thread:get("other")
  end
  io.write(string.format("RESULT accepted=%d other=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f\n",
    ok, bad, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
