-- GET the targets' paths round-robin, each with its own bearer token.
dofile((os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/common.lua")

local i = 0

function request()
  i = i % #mine + 1
  local target = mine[i]
  return wrk.format("GET", target.path, { ["Authorization"] = "Bearer " .. target.token })
end

function response(status, headers, body)
  count("GET_" .. status)
end
