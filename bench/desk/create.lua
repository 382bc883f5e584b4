-- wrk script: each request creates a conversation for a new customer, as an
-- inbound contact would. Customers are unique per thread and request.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("TOKEN")
  tenant = os.getenv("TENANT") or "orbitel"
  run = os.getenv("RUN") or "0"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"subject":"Connexion lente","channel":"email","body":"Bonjour, ma connexion rame depuis hier soir.","customer":{"name":"Client %d-%d","email":"bench-%s-%d-%d@example.net"}}',
    tid, counter, run, tid, counter)
  return wrk.format("POST", "/api/v1/tenants/" .. tenant .. "/conversations",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
