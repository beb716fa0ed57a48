import { generateKeyPairSync } from 'node:crypto';
import { HttpResponse, http } from 'msw';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A service account key the Google client signs its token request with (never sent to Google). */
export const serviceAccountJson = JSON.stringify({
  type: 'service_account',
  client_email: 'bolt@project.iam.gserviceaccount.com',
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});

export const GOOGLE_CALENDAR_API = 'https://www.googleapis.com/calendar/v3';

/** Google's token endpoint, answering the service account's JWT grant with an access token. */
export const googleTokenHandler = http.post('https://oauth2.googleapis.com/token', async ({ request }) => {
  const form = new URLSearchParams(await request.text());
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
    return HttpResponse.json({ error: 'unsupported_grant_type' }, { status: 400 });
  }
  return HttpResponse.json({ access_token: 'ya29.test', token_type: 'Bearer', expires_in: 3600 });
});
