/** Environment of the CLI's client commands (`earshot submit|status|result|jobs`). */
export const CLIENT_ENV = {
  /** Base URL of the Earshot API. */
  url: 'EARSHOT_URL',
  /** API key (Bearer). */
  apiKey: 'EARSHOT_API_KEY',
} as const;
