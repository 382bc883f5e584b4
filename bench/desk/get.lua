-- wrk script: GET the paths in PATHS (space-separated) in turn, authenticated
-- with a bearer token; non-200 answers are reported.
local i = 0
function init(args)
  token = os.getenv("TOKEN")
  paths = {}
  for p in string.gmatch(os.getenv("PATHS"), "%S+") do table.insert(paths, p) end
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Authorization"] = "Bearer " .. token })
end
function response(status, headers, body)
  if status ~= 200 then io.stderr:write("unexpected status " .. status .. "\n") end
end
