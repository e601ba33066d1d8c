-- A regisseur edits a goal of their own household with If-Match, again and again.
-- One connection per thread (run with -t N -c N), so each connection works on its own
-- household: it sends the ETag of its previous response, and after a response without one
-- (a 412, say) reads the plan again to learn the current ETag.
dofile((os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/common.lua")

local etag = nil
local flip = 0
local reading = false

function request()
  local target = mine[1]
  local auth = "Bearer " .. target.token
  if etag == nil and target.etag ~= nil then
    etag = target.etag
  end
  if etag == nil then
    reading = true
    return wrk.format("GET", target.plan, { ["Authorization"] = auth })
  end
  reading = false
  flip = 1 - flip
  return wrk.format("PATCH", target.goal, {
    ["Authorization"] = auth,
    ["If-Match"] = etag,
    ["Content-Type"] = "application/json",
  }, '{"zrmTarget":' .. (4 + flip) .. "}")
end

function response(status, headers, body)
  count((reading and "GET_" or "PATCH_") .. status)
  mine[1].etag = nil
  etag = headers["etag"] or headers["ETag"]
end
