-- wrk script: GET of a random citizen's positions, for the service and for shared/bench's
-- ref-server in the same run (ratio.sh uses one script for both sides).
--
-- TOKENS (environment) names a file of "FISCAL_CODE TOKEN" lines, one per debtor, written by
-- `cargo run --release -p pagopa-server --example load_reference_data`; API_KEY is a
-- Front-End key of the service. Every request carries the key and the debtor's token (the
-- reference server ignores both); `_CF_` in the URL path, if present, becomes the debtor's
-- fiscal code (the reference server's route), otherwise the path is used as it is (the
-- service's /api/v1/me/positions, where the token names the citizen).
local requests = {}

function init(args)
  local path = wrk.path
  local key = os.getenv("API_KEY") or ""
  local file = assert(io.open(os.getenv("TOKENS") or "tokens.txt", "r"))
  for line in file:lines() do
    local cf, token = line:match("^(%S+) (%S+)$")
    if cf then
      local headers = { ["x-api-key"] = key, ["authorization"] = "Bearer " .. token }
      requests[#requests + 1] = wrk.format("GET", (path:gsub("_CF_", cf)), headers)
    end
  end
  file:close()
  math.randomseed(os.time())
end

function request()
  return requests[math.random(#requests)]
end
