export { createAccessBook, ownersText, type AccessBook, type AccessBookOptions, type AccessBookStatus, type NewRequestInput, type RequestScope } from './AccessBook';
