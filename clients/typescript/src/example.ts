// A small program written against the generated client, as a frontend team would: list
// households, read a plan, and change a goal with the plan's ETag in If-Match. `make client`
// type-checks it, so a change to openapi/openapi.json that would break such code fails.
import createClient from "openapi-fetch";

import type { components, paths } from "./schema";

type Goal = components["schemas"]["GoalRead"];
type Problem = components["schemas"]["ProblemDetails"];

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.type}: ${problem.detail}`);
  }
}

export function gezinsplan(baseUrl: string, token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

/** Mark the first open goal of the first open household as achieved. */
export async function achieveFirstGoal(baseUrl: string, token: string): Promise<Goal | null> {
  const client = gezinsplan(baseUrl, token);

  const households = await client.GET("/api/v1/households", {
    params: { query: { status: "open", limit: 20 } },
  });
  if (households.error) throw new ApiError(households.error);
  const household = households.data.items[0];
  if (household === undefined) return null;

  const path = { household_id: household.id };
  const plan = await client.GET("/api/v1/households/{household_id}/plan", { params: { path } });
  if (plan.error) throw new ApiError(plan.error);
  const etag = plan.response.headers.get("ETag");
  const goal = plan.data.goals.find((candidate) => candidate.status === "open");
  if (goal === undefined || etag === null) return null;

  const changed = await client.PATCH("/api/v1/households/{household_id}/plan/goals/{goal_id}", {
    params: { path: { ...path, goal_id: goal.id }, header: { "If-Match": etag } },
    body: { status: "achieved" },
  });
  if (changed.error) {
    // 412: someone changed the plan since it was read; 428 cannot happen, If-Match is sent.
    throw new ApiError(changed.error);
  }
  return changed.data;
}
