/**
 * Stamps every client_credentials token with a claim computed from a secret.
 */
exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/stamp', `${event.secrets.STAMP}:${event.client.name}`);
};
