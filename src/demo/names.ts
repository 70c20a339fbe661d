/** Word lists for the demo data. ASCII only, so emails can be built from names directly. */

export const FIRST_NAMES = [
  'Ana', 'Bruno', 'Carla', 'David', 'Elena', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas',
  'Kemal', 'Lena', 'Mateo', 'Nadia', 'Oscar', 'Priya', 'Quentin', 'Rosa', 'Samir', 'Tara',
  'Umar', 'Vera', 'Wen', 'Ximena', 'Yusuf', 'Zoe', 'Aiko', 'Bea', 'Chen', 'Diego',
  'Emma', 'Felix', 'Grace', 'Hugo', 'Isabel', 'Jae', 'Kofi', 'Lucia', 'Marco', 'Nora',
  'Olga', 'Pablo', 'Rahul', 'Sofia', 'Tomas', 'Uma', 'Viktor', 'Wanjiru', 'Yara', 'Zane',
  'Amara', 'Liam', 'Mei', 'Noah', 'Leila', 'Sven', 'Thiago', 'Anika', 'Kenji', 'Fatima',
] as const;

export const LAST_NAMES = [
  'Silva', 'Muller', 'Rossi', 'Novak', 'Tanaka', 'Kim', 'Nguyen', 'Garcia', 'Smith', 'Okafor',
  'Jensen', 'Kowalski', 'Dubois', 'Haddad', 'Ivanova', 'Larsen', 'Moreau', 'Patel', 'Santos', 'Schmidt',
  'Yilmaz', 'Costa', 'Fischer', 'Lopez', 'Martin', 'Nakamura', 'Ortiz', 'Petrov', 'Quinn', 'Reyes',
  'Sato', 'Torres', 'Weber', 'Zhang', 'Andersen', 'Becker', 'Chowdhury', 'Diaz', 'Eriksson', 'Fernandes',
  'Gomez', 'Horvat', 'Ito', 'Johansson', 'Kaur', 'Lindqvist', 'Mensah', 'Nowak', 'Oliveira', 'Park',
] as const;

export const REGIONS = ['EU', 'NA', 'APAC', 'LATAM'] as const;
export const REGION_WEIGHTS = [0.35, 0.33, 0.2, 0.12];

export const SEGMENTS = ['SMB', 'Mid-Market', 'Enterprise'] as const;
export const SEGMENT_WEIGHTS = [0.6, 0.3, 0.1];

/** Calling codes and national-number lengths per region; numbers are random, not real subscribers. */
export const PHONE_PLANS: Record<(typeof REGIONS)[number], readonly { prefix: string; digits: number }[]> = {
  EU: [
    { prefix: '+44 20 7946 ', digits: 4 },
    { prefix: '+49 30 ', digits: 8 },
    { prefix: '+33 1 ', digits: 8 },
    { prefix: '+34 91 ', digits: 7 },
  ],
  NA: [
    { prefix: '+1 555 01', digits: 5 },
    { prefix: '+1 416 555 ', digits: 4 },
  ],
  APAC: [
    { prefix: '+61 2 ', digits: 8 },
    { prefix: '+81 3 ', digits: 8 },
    { prefix: '+65 6', digits: 7 },
  ],
  LATAM: [
    { prefix: '+55 11 9', digits: 8 },
    { prefix: '+52 55 ', digits: 8 },
    { prefix: '+57 1 ', digits: 7 },
  ],
};

export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'cancelled', 'refunded'] as const;

/** Categories with their list-price range in euro cents and product nouns. */
export const PRODUCT_CATEGORIES = [
  { name: 'Hardware', code: 'HW', minCents: 9_900, maxCents: 249_900, nouns: ['Laptop', 'Monitor', 'Dock', 'Router', 'Tablet', 'Server'] },
  { name: 'Accessories', code: 'AC', minCents: 499, maxCents: 14_900, nouns: ['Keyboard', 'Mouse', 'Headset', 'Cable', 'Stand', 'Webcam'] },
  { name: 'Software', code: 'SW', minCents: 1_900, maxCents: 99_900, nouns: ['Suite', 'License', 'Toolkit', 'Analytics', 'Backup', 'Firewall'] },
  { name: 'Services', code: 'SV', minCents: 15_000, maxCents: 500_000, nouns: ['Onboarding', 'Migration', 'Audit', 'Training', 'Integration'] },
  { name: 'Support', code: 'SP', minCents: 4_900, maxCents: 120_000, nouns: ['Care Plan', 'Warranty', 'Hotline', 'SLA'] },
] as const;

export const PRODUCT_BRANDS = [
  'Nimbus', 'Aurora', 'Vertex', 'Quartz', 'Helix', 'Atlas', 'Orbit', 'Summit', 'Pulse', 'Cobalt', 'Zephyr', 'Ember',
] as const;

export const PRODUCT_TIERS = ['', ' Mini', ' Pro', ' Max', ' Plus', ' 2', ' X', ' Lite'] as const;

export const CAMPAIGN_CHANNELS = ['email', 'social', 'search', 'events', 'display'] as const;
export const CAMPAIGN_THEMES = [
  'Spring Launch', 'Summer Sale', 'Back to Business', 'Autumn Upgrade', 'Year-End Deals', 'New Year Kickoff',
  'Partner Week', 'Cloud Summit', 'Security Month', 'Customer Days', 'Webinar Series', 'Product Tour',
] as const;
export const UTM_SOURCES = ['newsletter', 'linkedin', 'google', 'meetup', 'partner', 'bing', 'twitter'] as const;

export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'converted', 'disqualified'] as const;

export const CONSENT_CHANNELS = ['email', 'sms', 'phone', 'post'] as const;
/** Probability that a customer has a consent record for the channel (sums to ~1.5 records per customer). */
export const CONSENT_RATES = [0.7, 0.35, 0.25, 0.2];
