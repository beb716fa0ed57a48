export const handler = async (): Promise<never> => {
  throw new Error('replaced by the real handler on merge');
};
