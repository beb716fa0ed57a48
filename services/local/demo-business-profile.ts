import type { BusinessProfile } from '../core/shared/business-profile.js';

/**
 * The demo business's profile: what the local stack gives the agent when `BUSINESS_PROFILE_FILE` is
 * unset (the demo's `BUSINESS_NAME` is Bolt). The demo script's caller asks what the service costs,
 * and the simulated agent answers from here. `business-profile.example.json` is the same, as a file.
 */
export const DEMO_BUSINESS_PROFILE: BusinessProfile = {
  about:
    'Bolt sets up AI phone receptionists for small businesses: the agent answers every call, books appointments in your calendar and emails you a summary.',
  services: [
    {
      name: 'Receptionist plan',
      price: '$99 a month with 500 call minutes included',
      description: 'then 20 cents a minute',
    },
    { name: 'Setup and onboarding', price: 'free' },
  ],
  address: '100 Main Street, Suite 4, Springfield',
  serviceArea: 'Businesses in the United States and Canada',
  hours: 'Monday to Friday, 9 am to 5 pm Eastern',
  policies: ['No contract: cancel any time from your account page.'],
  faqs: [
    {
      question: 'Can I keep my phone number?',
      answer: 'Yes: you forward your existing number to the receptionist, or we port it for you.',
    },
  ],
};

/** What the simulated agent says to the demo's price question: read from the profile it was given. */
export function priceAnswer(profile: BusinessProfile): string {
  const plan = profile.services.find((s) => s.price);
  if (!plan) return 'I will have the owner follow up with our prices. Would you like to book a demo?';
  return `Our ${plan.name} is ${plan.price}. Would you like to book a demo?`;
}
