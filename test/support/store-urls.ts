import { join } from 'node:path';

/**
 * The stores a store test runs against, by name, each giving a fresh store's URL: memory, a new SQLite file in `dir`,
 * and Redis when REDIS_URL is set (shared, so tests keep to their own namespace there).
 */
export function storeUrls(dir: string): Array<[string, () => string]> {
  const urls: Array<[string, () => string]> = [
    ['memory', () => 'memory://'],
    ['SQLite', () => `sqlite://${join(dir, `${Math.random()}.sqlite`)}`],
  ];
  if (process.env.REDIS_URL) urls.push(['Redis', () => process.env.REDIS_URL!]);
  return urls;
}
