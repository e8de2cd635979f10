/**
 * Page-based paging of Cloudflare's list endpoints (/accounts, /accounts/{id}/members): the page
 * sizes Cloudflare allows and how many pages a `result_info` says there are.
 */

/** Cloudflare's largest page for /accounts and /accounts/{id}/members. */
export const MAX_PER_PAGE = 50;
/** Cloudflare's smallest page: a probe needs only one. */
export const MIN_PER_PAGE = 5;

/** total_pages when Cloudflare sends it, else ceil(total_count / per_page), else unknown. */
export function pagesFromResultInfo(
  info: {
    total_pages?: number | undefined;
    total_count?: number | undefined;
    per_page?: number | undefined;
  } | null,
  perPage: number,
): number | null {
  if (!info) return null;
  if (typeof info.total_pages === "number" && info.total_pages >= 0) return info.total_pages;
  if (typeof info.total_count === "number" && info.total_count >= 0) {
    return Math.ceil(info.total_count / (info.per_page || perPage));
  }
  return null;
}
