/** The public URL the bench's webhooks are signed for (the process under test is configured with it). */
export const PUBLIC_URL = 'https://bolt-voice.test';
