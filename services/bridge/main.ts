// Placeholder so the stack synthesizes before the real bridge lands; replaced on merge.
throw new Error('replaced by the real bridge on merge');
