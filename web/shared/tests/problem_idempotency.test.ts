import { describe, expect, it, vi } from "vitest";
import { ApiProblem, asProblem, IdempotencyKeys, toProblem, unwrap, withIdempotency } from "../src";

function memory() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) };
}

describe("problems", () => {
  it("keeps the server's localised title and detail and the stable code", async () => {
    const response = new Response(null, { status: 409 });
    const problem = toProblem(response, { title: "手机号已注册", detail: "该手机号已注册。", code: "phone_taken", status: 409 });
    expect([problem.status, problem.code, problem.title, problem.detail]).toEqual([409, "phone_taken", "手机号已注册", "该手机号已注册。"]);
    await expect(unwrap(Promise.resolve({ error: problem.body, response }))).rejects.toMatchObject({ code: "phone_taken" });
  });

  it("words a request without an answer with our own messages", async () => {
    const t = (key: string) => `t:${key}`;
    const failed = await unwrap(Promise.reject(new TypeError("Failed to fetch"))).catch((e: unknown) => e);
    const shown = asProblem(failed, t);
    expect([shown.code, shown.title, shown.detail]).toEqual(["network", "t:problem.networkTitle", "t:problem.networkDetail"]);
    expect(asProblem(new ApiProblem(422, { code: "validation_failed", title: "x" }), t).code).toBe("validation_failed");
  });
});

describe("idempotency", () => {
  it("uses the same key for every retry of one action and a new key for the next action", async () => {
    const keys = new IdempotencyKeys(memory());
    const sent: string[] = [];
    let calls = 0;
    const send = vi.fn(async (key: string) => {
      sent.push(key);
      calls += 1;
      if (calls === 1) throw new TypeError("network dropped");
      if (calls === 2) return { response: new Response(null, { status: 503 }) };
      return { response: new Response(null, { status: 201 }) };
    });
    const outcome = await withIdempotency("order:draft-1", send, { keys, delay: () => 0 });
    expect(outcome.response.status).toBe(201);
    expect(sent).toHaveLength(3);
    expect(new Set(sent).size).toBe(1);
    expect(keys.keyFor("order:draft-1")).not.toBe(sent[0]); // settled: a new action, a new key
  });

  it("keeps the key when every attempt failed, so a later retry (after a reload) reuses it", async () => {
    const store = memory();
    const first = new IdempotencyKeys(store);
    const key = first.keyFor("pay:42");
    await expect(withIdempotency("pay:42", async () => { throw new TypeError("offline"); }, { keys: first, delay: () => 0 })).rejects.toThrow("offline");
    expect(new IdempotencyKeys(store).keyFor("pay:42")).toBe(key);
  });
});
